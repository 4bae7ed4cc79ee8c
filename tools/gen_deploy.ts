/**
 * Writes `deploy/vigil.yaml`, the Helm chart `deploy/helm/vigil/` and the
 * monitoring files `deploy/monitoring/` from the builders in `src/distribution`.
 *
 * Usage: `deno task deploy`
 * (`deno run --allow-read --allow-write=deploy tools/gen_deploy.ts`)
 *
 * @module
 */
import { CHART_DIR, renderHelmChart, renderManifestYaml } from "../src/distribution/mod.ts";
import { renderMonitoringFiles } from "../src/distribution/monitoring/mod.ts";

/** Where the all-in-one manifest lives, relative to the repository root. */
export const MANIFEST_PATH = "deploy/vigil.yaml";

/** Every generated file under `deploy/`, by path relative to the repository root. */
export function generatedDeployFiles(): Map<string, string> {
  const files = new Map<string, string>([[MANIFEST_PATH, renderManifestYaml()]]);
  for (const [path, text] of renderHelmChart()) files.set(`${CHART_DIR}/${path}`, text);
  for (const [path, text] of renderMonitoringFiles()) files.set(path, text);
  return files;
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  for (const [path, text] of generatedDeployFiles()) {
    const url = new URL(path, root);
    await Deno.mkdir(new URL("./", url), { recursive: true });
    await Deno.writeTextFile(url, text);
    console.log(`wrote ${path}`);
  }
}
