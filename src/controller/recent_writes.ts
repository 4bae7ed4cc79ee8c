/**
 * Remembers the objects this process just wrote until the informer caches
 * have caught up with them, so a reconcile that runs in between compares
 * against the newest known version instead of a stale cache and does not
 * write the same thing twice (the role of kube-controller-manager's
 * "expectations", applied to server-side apply).
 *
 * ## Guarantees
 * - {@link RecentWrites.newest} returns the remembered object only while the
 *   cache is provably older: the cached object is missing, or its
 *   `resourceVersion` is numerically lower. Anything else (including
 *   non-numeric resource versions) forgets the memory and trusts the cache.
 * - A memory of a missing object lasts at most `ttlMs` (default 30 000 ms),
 *   so an object deleted after our write is never hidden for longer.
 * - A memory lasts only while the caches are behind: {@link RecentWrites.observed},
 *   called for every object an informer caches or deletes, forgets it the
 *   moment a cache holds that version. Without it a write was remembered
 *   until the object's next reconcile, which a status write (filtered out
 *   as status-only) never brings: at 1,000 Databases, 995 whole Database
 *   objects were held for good (issue 9).
 * - What is remembered is what the caches hold: the object without
 *   `metadata.managedFields`.
 *
 * @module
 */
import {
  type Clock,
  DeletedFinalStateUnknown,
  type EventHandler,
  type KubeObject,
  realClock,
  withoutManagedFields,
} from "../runtime/mod.ts";

/** Options of {@link RecentWrites}. */
export interface RecentWritesOptions {
  /** How long a write is trusted over a cache that lacks the object; default 30 000 ms. */
  readonly ttlMs?: number;
  readonly clock?: Clock;
}

interface Entry {
  readonly obj: KubeObject;
  readonly at: number;
}

/** Objects written recently, by `kind/namespace/name`. */
export class RecentWrites {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #clock: Clock;

  constructor(options: RecentWritesOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#clock = options.clock ?? realClock;
  }

  /** Records what the server answered to a write. */
  record(kind: string, obj: KubeObject): void {
    this.#entries.set(keyOf(kind, obj), { obj: withoutManagedFields(obj), at: this.#clock.now() });
  }

  /** A cache now holds (or has deleted) `obj`: forgets the write to it unless the cache is still older. */
  observed(kind: string, obj: KubeObject): void {
    const key = keyOf(kind, obj);
    const entry = this.#entries.get(key);
    if (entry !== undefined && !olderThan(obj, entry.obj)) this.#entries.delete(key);
  }

  /** Forgets a write (the object was deleted by us). */
  forget(kind: string, namespace: string, name: string): void {
    this.#entries.delete(`${kind}/${namespace}/${name}`);
  }

  /** The newest known version of an object: our last write if the cache is older, else the cache's. */
  newest<T extends KubeObject>(
    kind: string,
    namespace: string,
    name: string,
    cached: T | undefined,
  ): T | undefined {
    const key = `${kind}/${namespace}/${name}`;
    const entry = this.#entries.get(key);
    if (entry === undefined) return cached;
    if (cached === undefined) {
      if (this.#clock.now() - entry.at < this.#ttlMs) return entry.obj as T;
    } else if (olderThan(cached, entry.obj)) {
      return entry.obj as T;
    }
    this.#entries.delete(key);
    return cached;
  }

  /** Number of remembered writes (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }
}

/** What {@link forgetOnceCached} tells: a cache of `kind` now holds (or has deleted) `obj`. */
export interface CacheObserver {
  observed(kind: string, obj: KubeObject): void;
}

/**
 * The informer handler that tells `observer` (a {@link RecentWrites}, or the
 * reconciler that owns one) every object the cache of `kind` adds, updates
 * or deletes, so remembered writes are forgotten as soon as it has them.
 */
export function forgetOnceCached(observer: CacheObserver, kind: string): EventHandler<KubeObject> {
  return {
    onAdd: (obj) => observer.observed(kind, obj),
    onUpdate: (_old, obj) => observer.observed(kind, obj),
    onDelete: (obj) =>
      observer.observed(kind, obj instanceof DeletedFinalStateUnknown ? obj.obj : obj),
  };
}

function keyOf(kind: string, obj: KubeObject): string {
  return `${kind}/${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}

function olderThan(a: KubeObject, b: KubeObject): boolean {
  const ra = a.metadata?.resourceVersion;
  const rb = b.metadata?.resourceVersion;
  if (ra === undefined || rb === undefined) return false;
  if (!/^[0-9]+$/.test(ra) || !/^[0-9]+$/.test(rb)) return false;
  if (a.metadata?.uid !== undefined && a.metadata.uid !== b.metadata?.uid) return false;
  return BigInt(ra) < BigInt(rb);
}
