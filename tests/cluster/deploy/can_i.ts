/**
 * What `kubectl auth can-i --list` prints, as comparable atoms: one
 * `group resource name verb` string per permission, so that kubectl's
 * compaction of rules into rows does not matter.
 */
import type { V1PolicyRule } from "@kubernetes/client-node";
import type { SharedPlane } from "../../support/shared_plane.ts";

/** Expands rules into sorted, de-duplicated `group|resource|name|verb` atoms (resources only). */
export function ruleAtoms(rules: readonly V1PolicyRule[]): string[] {
  const atoms = new Set<string>();
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const name of rule.resourceNames?.length ? rule.resourceNames : ["*"]) {
          for (const verb of rule.verbs) atoms.add(`${group}|${resource}|${name}|${verb}`);
        }
      }
    }
  }
  return [...atoms].sort();
}

/**
 * Parses `kubectl auth can-i --list` into atoms. Rows without resources
 * (non-resource URLs) are skipped.
 *
 * @throws {Error} on a row it cannot read.
 */
export function parseCanIList(text: string): string[] {
  const rules: V1PolicyRule[] = [];
  const [header, ...rows] = text.trim().split("\n");
  if (!header?.startsWith("Resources")) throw new Error(`Cannot read can-i output: ${text}`);
  for (const row of rows) {
    const m = row.match(/^(.*?)\s+\[(.*?)\]\s+\[(.*?)\]\s+\[(.*?)\]\s*$/);
    if (!m) throw new Error(`Cannot read can-i row: ${row}`);
    const [, resources = "", , names = "", verbs = ""] = m;
    if (resources.trim() === "") continue;
    for (const entry of resources.trim().split(/,\s*/)) {
      // kubectl prints `<resource>.<group>[/<subresource>]`, e.g. `databases.vigil.dev/status`.
      const [qualified = "", subresource] = entry.split("/");
      const dot = qualified.indexOf(".");
      const resource = dot < 0 ? qualified : qualified.slice(0, dot);
      rules.push({
        apiGroups: [dot < 0 ? "" : qualified.slice(dot + 1)],
        resources: [subresource === undefined ? resource : `${resource}/${subresource}`],
        verbs: verbs.split(" ").filter(Boolean),
        ...(names.trim() === "" ? {} : { resourceNames: names.split(" ").filter(Boolean) }),
      });
    }
  }
  return ruleAtoms(rules);
}

interface Binding {
  metadata: { name: string };
  roleRef: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/**
 * The resource rules every service account of `namespace` gets from the
 * cluster's own ClusterRoleBindings (to `system:authenticated`,
 * `system:serviceaccounts`…), not counting `exclude` (the bindings under test).
 */
export async function baselineRules(
  plane: SharedPlane,
  namespace: string,
  exclude: readonly string[],
): Promise<V1PolicyRule[]> {
  const groups = new Set([
    "system:authenticated",
    "system:serviceaccounts",
    `system:serviceaccounts:${namespace}`,
  ]);
  const bindings = JSON.parse(
    await plane.kubectlOk(["get", "clusterrolebindings", "-o", "json"]),
  ).items as Binding[];
  const roles = bindings
    .filter((b) => !exclude.includes(b.metadata.name))
    .filter((b) => b.subjects?.some((s) => s.kind === "Group" && groups.has(s.name)))
    .map((b) => b.roleRef.name);
  const rules: V1PolicyRule[] = [];
  for (const role of new Set(roles)) {
    const cr = JSON.parse(await plane.kubectlOk(["get", "clusterrole", role, "-o", "json"]));
    rules.push(...((cr.rules ?? []) as V1PolicyRule[]));
  }
  return rules;
}
