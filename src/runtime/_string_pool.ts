/**
 * A bounded pool of string values (private helper of the store), so that
 * the caches hold one copy of a value many cached objects repeat instead of
 * one per object: JSON parsing gives every object its own copy of
 * `apiVersion`, of each label and annotation value, of an owner's name, of
 * a probe's arguments. At 1,000 Databases that was 5.7 MiB of a 50.7 MiB
 * live heap (issue 9).
 *
 * Bounded by entries and by characters: once either bound is reached the
 * pool starts over empty. Strings already cached keep their copy, so
 * starting over frees nothing a cached object uses and loses only the
 * sharing of values seen again later (each generation holds one copy of a
 * frequent value). What the pool itself keeps alive of deleted objects is
 * therefore at most its bounds.
 *
 * @module
 */

/** Interns repeated string values up to a size and count bound. */
export class StringPool {
  readonly #strings = new Map<string, string>();
  readonly #maxEntries: number;
  readonly #maxChars: number;
  readonly #maxLength: number;
  #chars = 0;

  /**
   * @param maxEntries strings kept before starting over
   * @param maxChars characters kept before starting over
   * @param maxLength longer strings are never pooled
   */
  constructor(maxEntries = 4096, maxChars = 256 * 1024, maxLength = 4096) {
    this.#maxEntries = maxEntries;
    this.#maxChars = maxChars;
    this.#maxLength = maxLength;
  }

  /** Strings held now. */
  get size(): number {
    return this.#strings.size;
  }

  /** Characters held now. */
  get chars(): number {
    return this.#chars;
  }

  /** The pooled string equal to `value` (`value` itself the first time it is seen). */
  intern(value: string): string {
    if (value.length > this.#maxLength) return value;
    const pooled = this.#strings.get(value);
    if (pooled !== undefined) return pooled;
    if (this.#strings.size >= this.#maxEntries || this.#chars + value.length > this.#maxChars) {
      this.#strings.clear();
      this.#chars = 0;
    }
    this.#strings.set(value, value);
    this.#chars += value.length;
    return value;
  }
}

/** The pool every store shares: the same values recur across kinds (owner names, `apiVersion`s, labels). */
export const cachedStrings: StringPool = new StringPool();
