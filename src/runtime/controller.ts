/**
 * Runs a reconciler over a workqueue fed by informers (controller-runtime
 * `pkg/internal/controller`). Hand-written: client-node has no controller
 * loop, workqueue or rate limiting.
 *
 * ## Guarantees
 * - No reconcile runs before every watched informer (and every extra cache
 *   in `caches`) has synced.
 * - One key is never reconciled by two workers at once (the queue's promise).
 * - Events from the initial list and unchanged resyncs go in at low priority
 *   ({@link LOW_PRIORITY}), so later changes are reconciled first; among
 *   changes, a source's `priority` orders them (higher first, FIFO within one).
 * - A thrown error requeues the key with the rate limiter's backoff; a
 *   {@link TerminalError} does not; nothing a reconcile throws stops a worker.
 * - Every log line of a reconcile carries `controller`, `key`, `reconcileId`.
 * - On a graceful stop (`signal` aborts): intake stops, in-flight reconciles
 *   get `drainTimeoutMs` (30 s) to finish, then their signal is aborted.
 * - When the lease is lost (`abortNow` aborts, or `signal` aborts with a
 *   {@link LeaderElectionLostError}), also in the middle of a drain: intake
 *   stops and in-flight reconciles' signals are aborted at once, with no
 *   drain (controller-runtime's graceful timeout 0 on lease loss).
 * - `start` resolves only once every worker has returned, that is once every
 *   reconcile has returned; a reconcile that ignores its signal holds it up.
 *
 * @module
 */
import { getLogger, type Logger } from "../observability/log.ts";
import { aborted } from "./_aborted.ts";
import { type Clock, realClock } from "./clock.ts";
import { enqueueForObject, type MapFunc } from "./handler.ts";
import type { Informer } from "./informer.ts";
import { LeaderElectionLostError } from "./leader_election.ts";
import { passes, type Predicate } from "./predicates.ts";
import { LOW_PRIORITY, PriorityQueue } from "./priority_queue.ts";
import type { QueueMetrics } from "./queue_metrics.ts";
import type { RateLimiter } from "./rate_limiters.ts";
import { type Reconciler, requestKey, TerminalError } from "./reconcile.ts";
import { DeletedFinalStateUnknown } from "./reflector.ts";
import { type KubeObject, splitKey } from "./resource.ts";
import type { StartOptions } from "./runnable.ts";
import { withDeadline } from "./with_deadline.ts";

/** Per-controller measurements (controller-runtime's names; see metrics.ts). */
export interface ControllerMetrics {
  reconcile(result: "success" | "error" | "requeue" | "requeue_after", seconds: number): void;
  error(kind: "error" | "terminal" | "panic"): void;
  workers(max: number, active: number): void;
}

const noopControllerMetrics: ControllerMetrics = { reconcile() {}, error() {}, workers() {} };

/** Something a controller reads and must wait for. */
export interface SyncedCache {
  hasSynced(): boolean;
  waitForSync(signal: AbortSignal): Promise<boolean>;
}

/** Options of {@link Controller}. */
export interface ControllerOptions {
  /** Unique name, used in logs and metrics. */
  readonly name: string;
  readonly reconcile: Reconciler;
  /** Concurrent reconciles; default 1. */
  readonly workers?: number;
  /** Default client-go's controller limiter (5 ms → 1000 s per item, 10 qps / 100 burst). */
  readonly rateLimiter?: RateLimiter<string>;
  /** Serve changes before initial-list items; default true (controller-runtime ≥ 0.23). */
  readonly usePriorityQueue?: boolean;
  /** Caches read but not watched that must sync first. */
  readonly caches?: readonly SyncedCache[];
  /** Fail start when caches have not synced in time; default 120 000 ms. */
  readonly cacheSyncTimeoutMs?: number;
  /** Time in-flight reconciles get on stop; default 30 000 ms. */
  readonly drainTimeoutMs?: number;
  readonly clock?: Clock;
  readonly log?: Logger;
  readonly metrics?: ControllerMetrics;
  readonly queueMetrics?: QueueMetrics;
}

/** Options of {@link Controller.watch}. */
export interface WatchOptions<T> {
  /** Default: the object itself. */
  readonly map?: MapFunc<T>;
  readonly predicates?: readonly Predicate<T>[];
  /**
   * Priority of this source's changes, by kind of change; default 0 for all.
   * A higher one goes first (e.g. objects created since the start, none of
   * them reconciled yet, before the echoes of objects just written for
   * others). Initial-list items and unchanged resyncs stay at
   * {@link LOW_PRIORITY} whatever this says.
   */
  readonly priority?: (change: "create" | "update" | "delete", obj: T) => number;
}

/** Thrown by {@link Controller.start} when caches do not sync in time. */
export class CacheSyncTimeoutError extends Error {
  override name = "CacheSyncTimeoutError";
}

/** Reconciles keys from a priority workqueue with N workers. */
export class Controller {
  readonly name: string;
  /** The controller's queue (exposed for tests and custom sources). */
  readonly queue: PriorityQueue<string>;
  /** Controllers only run on the leader. */
  readonly needLeaderElection = true;
  readonly #o: ControllerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #metrics: ControllerMetrics;
  readonly #sources: Array<() => void> = [];
  readonly #caches: SyncedCache[] = [];
  #active = 0;
  #started = false;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#log = (options.log ?? getLogger("controller")).child({ controller: options.name });
    this.#metrics = options.metrics ?? noopControllerMetrics;
    this.queue = new PriorityQueue<string>({
      name: options.name,
      clock: this.#clock,
      ...(options.rateLimiter === undefined ? {} : { rateLimiter: options.rateLimiter }),
      ...(options.queueMetrics === undefined ? {} : { metrics: options.queueMetrics }),
    });
    this.#caches.push(...(options.caches ?? []));
  }

  /** Reconciles what `map` returns for every passing event of `informer`. */
  watch<T extends KubeObject>(informer: Informer<T>, options: WatchOptions<T> = {}): this {
    const map = options.map ?? enqueueForObject;
    const predicates = options.predicates ?? [];
    const usePriority = this.#o.usePriorityQueue ?? true;
    const priorityOf = options.priority ?? (() => 0);
    const enqueue = (change: "create" | "update" | "delete", obj: T, low: boolean) => {
      const priority = !usePriority ? 0 : low ? LOW_PRIORITY : priorityOf(change, obj);
      for (const req of map(obj)) this.queue.addWithOptions({ priority }, requestKey(req));
    };
    this.#caches.push(informer);
    this.#sources.push(() =>
      informer.addEventHandler({
        onAdd: (obj, initial) => {
          if (predicates.every((p) => passes(p, "create", obj, initial))) {
            enqueue("create", obj, initial);
          }
        },
        onUpdate: (old, obj) => {
          if (!predicates.every((p) => passes(p, "update", old, obj))) return;
          const unchanged = old.metadata?.resourceVersion === obj.metadata?.resourceVersion;
          enqueue("update", obj, unchanged);
        },
        onDelete: (tomb) => {
          const obj = tomb instanceof DeletedFinalStateUnknown ? tomb.obj : tomb;
          if (predicates.every((p) => passes(p, "delete", obj))) enqueue("delete", obj, false);
        },
      })
    );
    return this;
  }

  /**
   * Waits for caches, runs workers until `signal` aborts, drains (or not: see
   * the module doc), resolves once every worker has returned.
   *
   * @throws {CacheSyncTimeoutError} when caches do not sync within `cacheSyncTimeoutMs`.
   */
  async start(signal: AbortSignal, options: StartOptions = {}): Promise<void> {
    if (this.#started) throw new Error(`Cannot start controller ${this.name}: already started`);
    this.#started = true;
    const abortNow = options.abortNow;
    const stop = abortNow === undefined ? signal : AbortSignal.any([signal, abortNow]);
    for (const register of this.#sources) register();
    const syncTimeout = new AbortController();
    const timeoutMs = this.#o.cacheSyncTimeoutMs ?? 120_000;
    const timer = this.#clock.setTimeout(() => syncTimeout.abort(), timeoutMs);
    const syncAbort = AbortSignal.any([stop, syncTimeout.signal]);
    const synced = await Promise.all(this.#caches.map((c) => c.waitForSync(syncAbort)));
    this.#clock.clearTimeout(timer);
    if (stop.aborted) {
      this.queue.shutdown();
      return;
    }
    if (!synced.every(Boolean)) {
      this.queue.shutdown();
      throw new CacheSyncTimeoutError(
        `Cannot start controller ${this.name}: caches not synced after ${timeoutMs} ms`,
      );
    }
    const workers = Math.max(1, this.#o.workers ?? 1);
    this.#metrics.workers(workers, 0);
    this.#log.info("starting workers", { workers });
    const reconcileAbort = new AbortController();
    const running = Promise.all(
      Array.from({ length: workers }, () => this.#worker(reconcileAbort.signal)),
    );
    await aborted(stop);
    this.queue.shutdown();
    const urgent = urgentReason(signal, abortNow);
    if (urgent !== undefined) {
      this.#log.warn("stopping at once; aborting in-flight reconciles", {
        active: this.#active,
        reason: String(urgent),
      });
      reconcileAbort.abort(urgent);
    } else {
      await this.#drain(running, reconcileAbort, abortNow);
    }
    await running;
    this.#log.info("stopped");
  }

  /** Waits for workers until the drain deadline or `abortNow`; then aborts reconciles. */
  async #drain(
    running: Promise<unknown>,
    reconcileAbort: AbortController,
    abortNow: AbortSignal | undefined,
  ): Promise<void> {
    const drainMs = this.#o.drainTimeoutMs ?? 30_000;
    const outcome = await withDeadline(() => running, {
      timeoutMs: drainMs,
      clock: this.#clock,
      ...(abortNow === undefined ? {} : { signal: abortNow }),
      timeoutReason: () =>
        new Error(`Cannot drain controller ${this.name}: ${drainMs} ms deadline passed`),
    });
    if (outcome.type !== "timeout" && outcome.type !== "cut") return;
    this.#log.warn("aborting in-flight reconciles", {
      active: this.#active,
      reason: String(outcome.reason),
    });
    reconcileAbort.abort(outcome.reason);
  }

  async #worker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const next = await this.queue.get();
      if (next.shutdown) return;
      this.#active++;
      this.#metrics.workers(Math.max(1, this.#o.workers ?? 1), this.#active);
      try {
        await this.#reconcileKey(next.item, signal);
      } finally {
        this.queue.done(next.item);
        this.#active--;
        this.#metrics.workers(Math.max(1, this.#o.workers ?? 1), this.#active);
      }
    }
  }

  async #reconcileKey(key: string, signal: AbortSignal): Promise<void> {
    const reconcileId = crypto.randomUUID();
    const log = this.#log.child({ key, reconcileId });
    const started = this.#clock.now();
    const seconds = () => (this.#clock.now() - started) / 1000;
    try {
      const result = await this.#o.reconcile(splitKey(key), { signal, log, reconcileId, key }) ??
        {};
      if (result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, result.requeueAfterMs);
        this.#metrics.reconcile("requeue_after", seconds());
      } else if (result.requeue) {
        this.queue.addRateLimited(key);
        this.#metrics.reconcile("requeue", seconds());
      } else {
        this.queue.forget(key);
        this.#metrics.reconcile("success", seconds());
      }
    } catch (err) {
      this.#metrics.reconcile("error", seconds());
      this.#metrics.error("error");
      if (err instanceof TerminalError) {
        this.#metrics.error("terminal");
        this.queue.forget(key);
        log.error("reconcile failed permanently; not retrying", { err });
        return;
      }
      // JavaScript's "panics": programming errors, not API failures.
      if (err instanceof TypeError || err instanceof ReferenceError || err instanceof RangeError) {
        this.#metrics.error("panic");
      }
      if (signal.aborted) {
        // The controller is stopping (its queue takes no more keys): the next
        // leader reconciles this key from its own cache.
        log.warn("reconcile aborted: the controller is stopping", { err });
        return;
      }
      this.queue.addRateLimited(key);
      log.error("reconcile failed; requeued with backoff", {
        err,
        requeues: this.queue.numRequeues(key),
      });
    }
  }
}

/** Why work must stop at once, if it must: the lease was lost. */
function urgentReason(signal: AbortSignal, abortNow: AbortSignal | undefined): unknown {
  if (abortNow?.aborted) return abortNow.reason;
  if (signal.aborted && signal.reason instanceof LeaderElectionLostError) return signal.reason;
  return undefined;
}
