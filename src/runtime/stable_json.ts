/**
 * JSON that does not depend on key order: the one serialisation Vigil uses to
 * compare objects (status-only changes, written statuses) and to hash what it
 * applied.
 *
 * @module
 */

/**
 * JSON with object keys sorted at every depth, so that two objects that
 * differ only in key order serialise identically. Keys whose value is
 * `undefined` are left out, as `JSON.stringify` does; list order is kept.
 *
 * Guarantees: the output is stable across releases — the applied-hash
 * annotation on live objects is a digest of it, and a change here would make
 * every object look changed once.
 *
 * @example
 * ```ts
 * import { stableJson } from "./stable_json.ts";
 * console.assert(stableJson({ b: 1, a: [2, { d: 3, c: 4 }] }) === '{"a":[2,{"c":4,"d":3}],"b":1}');
 * ```
 */
export function stableJson(value: unknown): string {
  if (value === undefined) return "null";
  if (Array.isArray(value)) {
    return `[${value.map((v) => v === undefined ? "null" : stableJson(v)).join(",")}]`;
  }
  if (value !== null && typeof value === "object") {
    const parts: string[] = [];
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) parts.push(`${JSON.stringify(key)}:${stableJson(v)}`);
    }
    return `{${parts.join(",")}}`;
  }
  return JSON.stringify(value);
}
