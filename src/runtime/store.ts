/**
 * The informer cache with separate handles (kube-rs `reflector::store`): a
 * read-only {@link Store} handed to controllers, and a {@link Writer} only the
 * reflector holds. Indexed like client-go's `cache.Indexer`. Hand-written:
 * client-node's ObjectCache has no indexes and no separate read handle.
 *
 * ## Guarantees
 * - Readers never see a half-applied change: each write updates the object
 *   and every index before returning.
 * - Objects are deep-frozen as they are stored and shared, not copied: a
 *   reader that mutates one (in strict mode, which every ES module is) gets a
 *   TypeError instead of silently changing the cache under every other
 *   reader. Change a `structuredClone` of it instead. Freezing once per
 *   write was chosen over copying per read: for 10 000 ConfigMap-sized
 *   objects (2 KB of JSON each) it added ~19 ms (median; 4–44 ms on a busy
 *   2-core machine) to ~39 ms of applying them, against ~95 ms for parsing
 *   their JSON and ~85 ms for one `structuredClone` of each.
 * - String values repeated across cached objects are stored once (a bounded
 *   pool shared by every store, `_string_pool.ts`), which changes no value.
 *
 * @module
 */
import { deepFreeze } from "./_deep_freeze.ts";
import { cachedStrings } from "./_string_pool.ts";
import { controllerOf, type KubeObject, objectKey } from "./resource.ts";

/** Maps an object to the index values it is filed under. */
export type IndexFunc<T> = (obj: T) => readonly string[];

/** Named index functions. */
export type Indexers<T> = Readonly<Record<string, IndexFunc<T>>>;

/** Name of the built-in index by namespace. */
export const NAMESPACE_INDEX = "namespace";
/** Name of the built-in index by the UID of the controlling owner. */
export const CONTROLLER_UID_INDEX = "controllerUid";

/** Files an object under its namespace (cluster-scoped objects under none). */
export const indexByNamespace: IndexFunc<KubeObject> = (obj) => {
  const ns = obj.metadata?.namespace;
  return ns === undefined || ns === "" ? [] : [ns];
};

/** Files an object under its controller owner's UID (`ownerReferences[].controller`). */
export const indexByControllerUid: IndexFunc<KubeObject> = (obj) => {
  const owner = controllerOf(obj);
  return owner === undefined ? [] : [owner.uid];
};

/** The read-only view of a cache. */
export interface Store<T> {
  /** The object with this key (`namespace/name` or `name`). */
  get(key: string): T | undefined;
  /** Every object, in no particular order. */
  list(): T[];
  /** Every key. */
  keys(): string[];
  /** Objects filed under `value` by the index `indexName`; throws for an unknown index. */
  byIndex(indexName: string, value: string): T[];
  /** Number of objects. */
  readonly size: number;
}

/** Options of {@link Writer}. */
export interface WriterOptions<T> {
  /** Extra indexes; namespace and controller-UID indexes are always there. */
  readonly indexers?: Indexers<T>;
}

/** The writing handle of a cache; {@link Writer.reader} gives the read-only view. */
export class Writer<T extends KubeObject> {
  readonly #items = new Map<string, T>();
  readonly #indexers: Indexers<T>;
  readonly #indices = new Map<string, Map<string, Set<string>>>();
  readonly #reader: Store<T>;

  constructor(options: WriterOptions<T> = {}) {
    this.#indexers = {
      [NAMESPACE_INDEX]: indexByNamespace,
      [CONTROLLER_UID_INDEX]: indexByControllerUid,
      ...options.indexers,
    };
    for (const name of Object.keys(this.#indexers)) this.#indices.set(name, new Map());
    const items = this.#items;
    const byIndex = (name: string, value: string) => this.#byIndex(name, value);
    this.#reader = {
      get: (key) => items.get(key),
      list: () => [...items.values()],
      keys: () => [...items.keys()],
      byIndex,
      get size() {
        return items.size;
      },
    };
  }

  /** The read-only handle. */
  reader(): Store<T> {
    return this.#reader;
  }

  /**
   * Inserts or replaces an object, deep-freezing it with its string values
   * shared through the caches' string pool; returns the previous one.
   */
  apply(obj: T): T | undefined {
    deepFreeze(obj, cachedStrings);
    const key = objectKey(obj);
    const old = this.#items.get(key);
    if (old !== undefined) this.#unindex(key, old);
    this.#items.set(key, obj);
    this.#index(key, obj);
    return old;
  }

  /** Removes the object with this key; returns it. */
  delete(key: string): T | undefined {
    const old = this.#items.get(key);
    if (old === undefined) return undefined;
    this.#unindex(key, old);
    this.#items.delete(key);
    return old;
  }

  /** Replaces the whole content; returns the previous content by key. */
  replace(objects: Iterable<T>): Map<string, T> {
    const previous = new Map(this.#items);
    this.#items.clear();
    for (const index of this.#indices.values()) index.clear();
    for (const obj of objects) this.apply(obj);
    return previous;
  }

  #byIndex(name: string, value: string): T[] {
    const index = this.#indices.get(name);
    if (index === undefined) throw new RangeError(`Cannot read index: "${name}" does not exist`);
    const out: T[] = [];
    for (const key of index.get(value) ?? []) {
      const obj = this.#items.get(key);
      if (obj !== undefined) out.push(obj);
    }
    return out;
  }

  #index(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.#indexers)) {
      const index = this.#indices.get(name)!;
      for (const value of fn(obj)) {
        let keys = index.get(value);
        if (keys === undefined) index.set(value, keys = new Set());
        keys.add(key);
      }
    }
  }

  #unindex(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.#indexers)) {
      const index = this.#indices.get(name)!;
      for (const value of fn(obj)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}
