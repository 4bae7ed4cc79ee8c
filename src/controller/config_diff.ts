/**
 * Which engine parameters a config change touches, from the rendered files
 * of the ConfigMap before and after: names only, never values (a value may
 * be a secret the user put in `spec.config`).
 *
 * @module
 */

/** `name = value` lines of an engine config file, by name (comments and sections skipped). */
function parameters(files: Readonly<Record<string, string>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, text] of Object.entries(files)) {
    for (const raw of text.split("\n")) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#") || line.startsWith("[")) continue;
      const eq = line.indexOf("=");
      if (eq <= 0) continue;
      const name = line.slice(0, eq).trim();
      out.set(name, `${file}\u0000${line.slice(eq + 1).trim()}`);
    }
  }
  return out;
}

/**
 * The parameter names whose line was added, removed or changed between two
 * versions of the ConfigMap's `data`, sorted.
 *
 * @example
 * ```ts
 * import { changedConfigKeys } from "./config_diff.ts";
 * const before = { "vigil.conf": "# x\nmax_connections = 100\nwork_mem = '4MB'\n" };
 * const after = { "vigil.conf": "# x\nmax_connections = 200\nwork_mem = '4MB'\n" };
 * console.assert(changedConfigKeys(before, after).join() === "max_connections");
 * ```
 */
export function changedConfigKeys(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): string[] {
  const a = parameters(before);
  const b = parameters(after);
  const changed = new Set<string>();
  for (const [name, value] of a) if (b.get(name) !== value) changed.add(name);
  for (const name of b.keys()) if (!a.has(name)) changed.add(name);
  return [...changed].sort();
}
