/**
 * JSON with object keys sorted, so equal values always print the same.
 *
 * @module
 */

/** Serialises `value` with sorted object keys (arrays keep their order). */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const entries = Object.keys(record).filter((k) => record[k] !== undefined).sort().map((k) =>
      `${JSON.stringify(k)}:${stableJson(record[k])}`
    );
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
