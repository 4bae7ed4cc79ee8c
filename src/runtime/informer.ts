/**
 * A shared informer: watcher → reflector → store, plus handlers
 * (client-go `SharedIndexInformer`). Hand-written because client-node's
 * makeInformer never requests bookmarks, stops silently when a watch dies,
 * storms the apiserver after restarts and loses deletes made during a relist.
 *
 * ## Guarantees
 * - {@link Informer.hasSynced} turns true once the first full list is in the
 *   store, and stays true.
 * - Handlers see every change in order, after the store has it; a delete
 *   missed during a relist is reported as a {@link DeletedFinalStateUnknown}.
 * - A handler added after sync first gets an `onAdd` for every cached object.
 * - A throwing handler is logged and does not affect others.
 * - {@link Informer.start} resolves only once the watch is closed.
 *
 * @module
 */
import { getLogger, type Logger } from "../observability/log.ts";
import {
  type DeletedFinalStateUnknown,
  type Delta,
  Reflector,
  type Transform,
} from "./reflector.ts";
import { apiVersionOf, type KubeObject, type Resource } from "./resource.ts";
import { type Indexers, type Store, Writer } from "./store.ts";
import { type WatchClient, Watcher, type WatcherOptions } from "./watcher.ts";

/** Callbacks for cache changes; every one is optional. */
export interface EventHandler<T> {
  onAdd?(obj: T, isInInitialList: boolean): void;
  onUpdate?(oldObj: T, obj: T): void;
  onDelete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

/** Options of {@link Informer}. */
export interface InformerOptions<T> extends WatcherOptions {
  /** Applied before caching; default strips `metadata.managedFields`. */
  readonly transform?: Transform<T>;
  /** Extra indexes besides namespace and controller UID. */
  readonly indexers?: Indexers<T>;
}

/** Keeps a cache of one resource in sync and tells handlers about changes. */
export class Informer<T extends KubeObject = KubeObject> {
  readonly resource: Resource;
  readonly #watcher: Watcher<T>;
  readonly #writer: Writer<T>;
  readonly #reflector: Reflector<T>;
  readonly #handlers: EventHandler<T>[] = [];
  readonly #syncWaiters = new Set<() => void>();
  readonly #log: Logger;
  #started = false;

  constructor(client: WatchClient, resource: Resource, options: InformerOptions<T> = {}) {
    this.resource = resource;
    this.#log = (options.log ?? getLogger("informer")).child({
      resource: `${resource.plural}.${apiVersionOf(resource)}`,
    });
    this.#watcher = new Watcher<T>(client, resource, { ...options, log: this.#log });
    this.#writer = new Writer<T>(
      options.indexers === undefined ? {} : { indexers: options.indexers },
    );
    this.#reflector = new Reflector<T>(
      this.#writer,
      options.transform === undefined ? {} : { transform: options.transform },
    );
  }

  /** The read-only cache. */
  get store(): Store<T> {
    return this.#writer.reader();
  }

  /** Whether the first full list is in the store. */
  hasSynced(): boolean {
    return this.#reflector.synced;
  }

  /** Resolves `true` once synced, or `false` if `signal` aborts first. */
  waitForSync(signal: AbortSignal): Promise<boolean> {
    if (this.hasSynced()) return Promise.resolve(true);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        this.#syncWaiters.delete(onSync);
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      };
      const onSync = () => done(true);
      const onAbort = () => done(false);
      this.#syncWaiters.add(onSync);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Registers handlers; if already synced, replays the cache as adds. */
  addEventHandler(handler: EventHandler<T>): void {
    this.#handlers.push(handler);
    if (this.hasSynced()) {
      for (const obj of this.store.list()) this.#call(() => handler.onAdd?.(obj, true));
    }
  }

  /**
   * Lists and watches until `signal` aborts; resolves once stopped.
   *
   * @throws {Error} when started twice.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#started) throw new Error("Cannot start informer: it was already started");
    this.#started = true;
    for await (const event of this.#watcher.events(signal)) {
      const wasSynced = this.hasSynced();
      for (const delta of this.#reflector.apply(event)) this.#dispatch(delta);
      if (!wasSynced && this.hasSynced()) {
        this.#log.debug("synced", { objects: this.store.size });
        for (const resolve of [...this.#syncWaiters]) resolve();
      }
    }
  }

  #dispatch(delta: Delta<T>): void {
    for (const handler of this.#handlers) {
      switch (delta.type) {
        case "add":
          this.#call(() => handler.onAdd?.(delta.obj, delta.isInInitialList));
          break;
        case "update":
          this.#call(() => handler.onUpdate?.(delta.oldObj, delta.obj));
          break;
        case "delete":
          this.#call(() => handler.onDelete?.(delta.obj));
          break;
      }
    }
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error("event handler threw", { err });
    }
  }
}
