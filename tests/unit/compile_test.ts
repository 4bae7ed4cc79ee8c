import assert from "node:assert/strict";
import { RUNTIME_FLAGS, V8_FLAGS } from "../../tools/permissions.ts";

// `deno compile` cannot finish here (denort is not downloadable), but with
// DENORT_BIN pointing at nothing it parses the permission flags, builds the
// module graph and stops exactly at the runtime binary: anything else that is
// wrong with `task compile` fails earlier with another message.
Deno.test("task compile's flags and module graph are accepted by deno compile up to the denort step", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tools/compile.ts", `${await Deno.makeTempDir()}/vigil`],
    cwd: root,
    env: { DENORT_BIN: "/nonexistent/denort", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.notEqual(out.code, 0);
  assert.match(stderr, /--allow-net=kubernetes\.default\.svc,0\.0\.0\.0,\[::\]/);
  // The binary carries the V8 flags main.ts is tested and measured with.
  assert.match(stderr, new RegExp(`--v8-flags=${V8_FLAGS.join(",")} `));
  for (const flag of RUNTIME_FLAGS) assert.ok(stderr.includes(` ${flag} `), `${flag}: ${stderr}`);
  assert.match(stderr, /Could not find denort at '\/nonexistent\/denort'/, stderr);
});
