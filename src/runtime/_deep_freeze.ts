/**
 * Deep freezing of cached objects (private helper of the store and the
 * reflector), so that a reader that mutates a shared object fails loudly
 * instead of corrupting the cache for every other reader.
 *
 * @module
 */

/**
 * Freezes `value` and every object and array reachable from it; returns it.
 *
 * Assumptions: an object that is already frozen is taken as deeply frozen
 * (so shared subtrees and cycles cost nothing twice); typed arrays, which
 * cannot be frozen, are left as they are (JSON never yields them).
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  if (ArrayBuffer.isView(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (const item of value) deepFreeze(item);
  } else {
    for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
