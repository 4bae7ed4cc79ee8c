/**
 * Applies watcher events to a cache {@link Writer} and turns them into
 * add/update/delete deltas for handlers (kube-rs `reflector`, client-go
 * `DeltaFIFO.Replace`). Hand-written: client-node's informer drops deletes
 * missed while it relists and caches objects untransformed.
 *
 * ## Guarantees
 * - A relist is applied atomically on `initDone`: the store then equals the
 *   list; objects it had that the list lacks are reported deleted as
 *   {@link DeletedFinalStateUnknown} tombstones.
 * - Every object passes through the transform before it is cached or handed
 *   to a handler (default {@link stripManagedFields}), and is deep-frozen
 *   after it (the store freezes what it caches; deletes are frozen here).
 *
 * @module
 */
import { deepFreeze } from "./_deep_freeze.ts";
import { type KubeObject, objectKey } from "./resource.ts";
import type { Writer } from "./store.ts";
import type { WatchEvent } from "./watcher.ts";

/** A delete seen only as an absence from a relist: the last state known. */
export class DeletedFinalStateUnknown<T> {
  constructor(readonly key: string, readonly obj: T) {}
}

/** A change for handlers. */
export type Delta<T> =
  | { readonly type: "add"; readonly obj: T; readonly isInInitialList: boolean }
  | { readonly type: "update"; readonly oldObj: T; readonly obj: T }
  | { readonly type: "delete"; readonly obj: T | DeletedFinalStateUnknown<T> };

/** Maps an object before it is cached (and frozen); may return the same object mutated. */
export type Transform<T> = (obj: T) => T;

/** Drops `metadata.managedFields`, which is often most of an object's size. */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata?.managedFields !== undefined) delete obj.metadata.managedFields;
  return obj;
}

/** `obj` without `metadata.managedFields`, as a shallow copy; `obj` itself is left whole. */
export function withoutManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata?.managedFields === undefined) return obj;
  const { managedFields: _, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** Options of {@link Reflector}. */
export interface ReflectorOptions<T> {
  /** Default {@link stripManagedFields}; pass `(o) => o` to keep objects whole. */
  readonly transform?: Transform<T>;
}

/** Folds watcher events into a writer. */
export class Reflector<T extends KubeObject> {
  readonly #writer: Writer<T>;
  readonly #transform: Transform<T>;
  #buffer: T[] | undefined;
  #synced = false;

  constructor(writer: Writer<T>, options: ReflectorOptions<T> = {}) {
    this.#writer = writer;
    this.#transform = options.transform ?? stripManagedFields;
  }

  /** Whether a first full list has been applied. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Applies one event; returns the deltas it caused (in order). */
  apply(event: WatchEvent<T>): Delta<T>[] {
    switch (event.type) {
      case "init":
        this.#buffer = [];
        return [];
      case "initApply":
        this.#buffer?.push(this.#transform(event.obj));
        return [];
      case "initDone":
        return this.#replace();
      case "apply": {
        const obj = this.#transform(event.obj);
        const old = this.#writer.apply(obj);
        return [
          old === undefined
            ? { type: "add", obj, isInInitialList: false }
            : { type: "update", oldObj: old, obj },
        ];
      }
      case "delete": {
        const obj = deepFreeze(this.#transform(event.obj));
        this.#writer.delete(objectKey(obj));
        return [{ type: "delete", obj }];
      }
    }
  }

  #replace(): Delta<T>[] {
    const listed = this.#buffer ?? [];
    this.#buffer = undefined;
    const initial = !this.#synced;
    const previous = this.#writer.replace(listed);
    const deltas: Delta<T>[] = [];
    for (const obj of listed) {
      const old = previous.get(objectKey(obj));
      if (old === undefined) deltas.push({ type: "add", obj, isInInitialList: initial });
      else deltas.push({ type: "update", oldObj: old, obj });
      previous.delete(objectKey(obj));
    }
    for (const [key, old] of previous) {
      deltas.push({ type: "delete", obj: new DeletedFinalStateUnknown(key, old) });
    }
    this.#synced = true;
    return deltas;
  }
}
