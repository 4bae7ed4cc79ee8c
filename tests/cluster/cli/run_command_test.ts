/**
 * `main.ts` under exactly the compiled binary's permission flags (plus the
 * API server and kubeconfig a local build adds): it connects, logs the
 * server version as JSON, and exits 0 on SIGTERM. This is the proof of the
 * binary's flags, since `denort` cannot be fetched here to compile it.
 */
import assert from "node:assert/strict";
import { sharedPlane } from "../../support/shared_plane.ts";
import { freePorts } from "../../support/ports.ts";
import { permissionFlags } from "../../../tools/permissions.ts";

const MAIN = new URL("../../../main.ts", import.meta.url).pathname;

/** Reads `stream` line by line into `lines`; `until` resolves once `done` matches a line. */
function lineReader(stream: ReadableStream<Uint8Array>, lines: string[]) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return async function until(done: (line: string) => boolean): Promise<void> {
    while (true) {
      const { value, done: end } = await reader.read();
      if (end) return;
      buffer += value;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (done(line)) return;
      }
    }
  };
}

Deno.test("vigil run under the binary's permission flags connects, logs JSON, and exits 0 on SIGTERM", async () => {
  const plane = await sharedPlane();
  const [metrics, health, webhook] = freePorts(3);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...permissionFlags({
        net: [
          new URL(plane.server).host,
          `127.0.0.1:${metrics}`,
          `127.0.0.1:${health}`,
          `0.0.0.0:${webhook}`,
        ],
        read: [plane.kubeconfigPath],
      }),
      MAIN,
      "run",
      `--kubeconfig=${plane.kubeconfigPath}`,
      `--metrics-bind-address=127.0.0.1:${metrics}`,
      `--health-probe-bind-address=127.0.0.1:${health}`,
      `--webhook-port=${webhook}`,
      "--leader-elect=false",
    ],
    env: { NO_COLOR: "1" },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const stdout = child.stdout.pipeTo(new WritableStream());
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const until = lineReader(child.stderr, lines);
  await until((line) => line.includes('"msg":"connected"'));
  const connected = lines.map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      return undefined;
    }
  }).find((r) => r?.msg === "connected");
  assert.ok(connected, `no "connected" JSON line; stderr was:\n${lines.join("\n")}`);
  assert.equal(connected.serverVersion, "v1.37.2");
  child.kill("SIGTERM");
  await until(() => false);
  const status = await child.status;
  await stdout;
  clearTimeout(timer);
  assert.equal(status.code, 0, lines.join("\n"));
  assert.ok(lines.some((l) => l.includes('"msg":"stopped"')), lines.join("\n"));
});

Deno.test("vigil version and vigil crds work under the binary's permission flags", async () => {
  const run = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", ...permissionFlags(), MAIN, ...args],
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
  const version = await run("version");
  assert.equal(version.code, 0, new TextDecoder().decode(version.stderr));
  assert.match(new TextDecoder().decode(version.stdout), /^vigil \d+\.\d+\.\d+/);
  const crds = await run("crds");
  assert.equal(crds.code, 0, new TextDecoder().decode(crds.stderr));
  assert.match(new TextDecoder().decode(crds.stdout), /kind: CustomResourceDefinition/);
});

Deno.test("a bad flag exits 2 with one line naming the flag, the value and what is accepted", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissionFlags(), MAIN, "run", "--lease-duration=soon"],
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  assert.equal(out.code, 2);
  assert.equal(stderr.split("\n").length, 1, stderr);
  assert.match(stderr, /--lease-duration/);
  assert.match(stderr, /"soon"/);
  assert.match(stderr, /accepted: a duration like 15s/);
});
