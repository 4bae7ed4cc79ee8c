/**
 * The CRD manifest as YAML text, apart from `crd.ts` so that `vigil run`,
 * which needs the CRD's names but never its YAML, does not load a YAML
 * library (issue 10, item 22).
 *
 * @module
 */
import YAML from "yaml";
import { buildCrd, CRD_HEADER } from "./crd.ts";

/**
 * Returns the CRD manifest as YAML text, exactly as `crds/databases.vigil.dev.yaml` holds it.
 *
 * @example
 * ```ts
 * import { renderCrdYaml } from "./crd_yaml.ts";
 * renderCrdYaml().startsWith("# Generated"); // true
 * ```
 */
export function renderCrdYaml(): string {
  return CRD_HEADER + YAML.stringify(buildCrd(), { lineWidth: 0, aliasDuplicateObjects: false });
}
