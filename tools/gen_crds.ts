/**
 * Writes the generated CRD manifests under `crds/`.
 *
 * Usage: `deno run --allow-write=crds tools/gen_crds.ts`
 *
 * @module
 */

// crd.ts directly: the generator needs the schemas, not the webhook stack.
import { renderCrdYaml } from "../src/database/crd_yaml.ts";

/** Where the Database CRD manifest lives, relative to the repository root. */
export const DATABASE_CRD_PATH = "crds/databases.vigil.dev.yaml";

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  await Deno.writeTextFile(new URL(DATABASE_CRD_PATH, root), renderCrdYaml());
  console.log(`wrote ${DATABASE_CRD_PATH}`);
}
