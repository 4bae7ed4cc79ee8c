/**
 * Deep freezing of cached objects (private helper of the store and the
 * reflector), so that a reader that mutates a shared object fails loudly
 * instead of corrupting the cache for every other reader.
 *
 * @module
 */
import type { StringPool } from "./_string_pool.ts";

/** Fields whose values differ on every object: a pool slot for them would never be shared. */
const UNPOOLED_FIELDS: ReadonlySet<string> = new Set(["uid", "resourceVersion"]);

/**
 * Freezes `value` and every object and array reachable from it; returns it.
 * With a `pool`, every string value it holds (but `uid` and
 * `resourceVersion`, unique per object) is first replaced by the pool's
 * equal string, so that equal values across objects share one copy.
 *
 * Assumptions: an object that is already frozen is taken as deeply frozen
 * (so shared subtrees and cycles cost nothing twice); typed arrays, which
 * cannot be frozen, are left as they are (JSON never yields them).
 */
export function deepFreeze<T>(value: T, pool?: StringPool): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  if (ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    if (pool !== undefined) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item === "string") value[i] = pool.intern(item);
      }
    }
    Object.freeze(value);
    for (const item of value) deepFreeze(item, pool);
  } else {
    const record = value as Record<string, unknown>;
    if (pool !== undefined) {
      for (const key in record) {
        const field = record[key];
        if (typeof field === "string" && !UNPOOLED_FIELDS.has(key)) {
          record[key] = pool.intern(field);
        }
      }
    }
    Object.freeze(value);
    for (const key in record) deepFreeze(record[key], pool);
  }
  return value;
}
