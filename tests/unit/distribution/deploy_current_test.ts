import assert from "node:assert/strict";
import { generatedDeployFiles } from "../../../tools/gen_deploy.ts";
import { CHART_DIR } from "../../../src/distribution/mod.ts";

const root = new URL("../../../", import.meta.url);
const STALE = "is out of date with src/distribution: run `deno task deploy` " +
  "(deno run --allow-read --allow-write=deploy tools/gen_deploy.ts) and commit the result";

async function readOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(new URL(path, root));
  } catch {
    return undefined;
  }
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(new URL(`${dir}/${prefix}`, root))) {
    if (entry.isDirectory) out.push(...await listFiles(dir, `${prefix}${entry.name}/`));
    else out.push(`${dir}/${prefix}${entry.name}`);
  }
  return out;
}

Deno.test("deploy/vigil.yaml and the Helm chart are exactly what tools/gen_deploy.ts generates", async () => {
  for (const [path, text] of generatedDeployFiles()) {
    const onDisk = await readOrUndefined(path);
    assert.ok(onDisk !== undefined, `${path} is missing: it ${STALE}`);
    assert.ok(onDisk === text, `${path} ${STALE}`);
  }
});

Deno.test("the Helm chart holds no file the generator does not write", async () => {
  const generated = new Set(generatedDeployFiles().keys());
  const extra = (await listFiles(CHART_DIR)).filter((p) => !generated.has(p));
  assert.deepEqual(extra, [], `stale chart files (delete them, then run \`deno task deploy\`)`);
});
