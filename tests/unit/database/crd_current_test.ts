import assert from "node:assert/strict";
import { renderCrdYaml } from "../../../src/database/crd_yaml.ts";

const STALE =
  "crds/databases.vigil.dev.yaml is out of date with src/database: run `deno task crds` " +
  "(deno run --allow-write=crds tools/gen_crds.ts) and commit the result";

/** Reads the checked-in manifest as a text import, so the test needs no --allow-read. */
async function readCheckedIn(): Promise<string | undefined> {
  try {
    const module = await import("../../../crds/databases.vigil.dev.yaml", {
      with: { type: "text" },
    });
    return module.default as string;
  } catch {
    return undefined;
  }
}

Deno.test("crds/databases.vigil.dev.yaml is exactly what renderCrdYaml() generates", async () => {
  const onDisk = await readCheckedIn();
  assert.ok(onDisk !== undefined, `crds/databases.vigil.dev.yaml is missing: ${STALE}`);
  assert.ok(onDisk === renderCrdYaml(), STALE);
});
