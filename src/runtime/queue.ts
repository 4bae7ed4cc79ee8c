/**
 * A de-duplicating FIFO work queue with client-go's promises
 * (`k8s.io/client-go/util/workqueue/queue.go`). Written by hand because
 * client-node ships no workqueue at all: its informers call handlers inline,
 * with no de-duplication, no rate limiting and no per-key exclusivity.
 *
 * ## Guarantees
 * - Fair: items are handed out in the order they were added.
 * - Stingy: an item added many times before it is handed out is handed out
 *   once; an item is never handed to two callers of {@link Queue.get} at once.
 * - An item added while it is being processed is queued again once
 *   {@link Queue.done} is called for it.
 * - After {@link Queue.shutdown}, `add` is ignored and `get` keeps handing
 *   out what was already queued, then reports `shutdown`.
 *
 * @module
 */
import { DrainWaiters } from "./_drain_waiters.ts";
import { type Clock, realClock } from "./clock.ts";
import { noopQueueMetrics, type QueueMetrics } from "./queue_metrics.ts";

/** What {@link Queue.get} resolves to. */
export type GetResult<T> =
  | { readonly shutdown: false; readonly item: T }
  | { readonly shutdown: true };

/** Options of {@link Queue}. */
export interface QueueOptions {
  /** Queue name, used by metrics; default `""`. */
  readonly name?: string;
  /** Time source; default {@link realClock}. */
  readonly clock?: Clock;
  /** Metrics sink; default {@link noopQueueMetrics}. */
  readonly metrics?: QueueMetrics;
}

/** The common interface of every workqueue in this folder. */
export interface WorkQueue<T> {
  add(item: T): void;
  get(): Promise<GetResult<T>>;
  done(item: T): void;
  len(): number;
  shutdown(): void;
  shutdownWithDrain(signal?: AbortSignal): Promise<void>;
  shuttingDown(): boolean;
}

/** client-go's basic workqueue. See the module doc for its guarantees. */
export class Queue<T> implements WorkQueue<T> {
  readonly name: string;
  protected readonly clock: Clock;
  protected readonly metrics: QueueMetrics;
  #items: T[] = [];
  #head = 0;
  readonly #dirty = new Set<T>();
  readonly #processing = new Set<T>();
  readonly #waiters: Array<(result: GetResult<T>) => void> = [];
  readonly #drains = new DrainWaiters();
  #shuttingDown = false;
  readonly #addedAt = new Map<T, number>();
  readonly #startedAt = new Map<T, number>();

  constructor(options: QueueOptions = {}) {
    this.name = options.name ?? "";
    this.clock = options.clock ?? realClock;
    this.metrics = options.metrics ?? noopQueueMetrics;
    this.metrics.observeUnfinished(() => this.#unfinished());
  }

  /** Queues `item` unless it is already waiting; ignored after shutdown. */
  add(item: T): void {
    if (this.#shuttingDown || this.#dirty.has(item)) return;
    this.metrics.add();
    if (!this.#addedAt.has(item)) this.#addedAt.set(item, this.clock.now());
    this.#dirty.add(item);
    if (this.#processing.has(item)) return;
    this.#items.push(item);
    this.metrics.depth(this.len());
    this.#dispatch();
  }

  /** Number of items waiting (not counting those being processed). */
  len(): number {
    return this.#items.length - this.#head;
  }

  /**
   * Waits for the next item. The caller must call {@link Queue.done} with it
   * when finished. Resolves `{shutdown: true}` once shut down and empty.
   */
  get(): Promise<GetResult<T>> {
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.#dispatch();
    });
  }

  /** Marks `item` finished; if it was re-added meanwhile it is queued again. */
  done(item: T): void {
    const started = this.#startedAt.get(item);
    if (started !== undefined) {
      this.metrics.workDuration((this.clock.now() - started) / 1000);
      this.#startedAt.delete(item);
    }
    this.#processing.delete(item);
    if (this.#dirty.has(item)) {
      this.#items.push(item);
      this.metrics.depth(this.len());
      this.#dispatch();
    } else if (this.#processing.size === 0) {
      this.#drains.release();
    }
  }

  /** Stops intake; waiting `get` calls resolve once the queue is empty. */
  shutdown(): void {
    this.#shuttingDown = true;
    this.#dispatch();
  }

  /**
   * Shuts down and resolves once every handed-out item is `done` (or when
   * `signal` aborts: the drain is then abandoned, not an error).
   */
  shutdownWithDrain(signal?: AbortSignal): Promise<void> {
    this.shutdown();
    return this.#drains.wait(this.#processing.size === 0, signal);
  }

  /** Whether {@link Queue.shutdown} was called. */
  shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  #dispatch(): void {
    while (this.#waiters.length > 0 && this.len() > 0) {
      const item = this.#items[this.#head]!;
      this.#head++;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      const now = this.clock.now();
      const added = this.#addedAt.get(item);
      if (added !== undefined) this.metrics.queueLatency((now - added) / 1000);
      this.#addedAt.delete(item);
      this.#startedAt.set(item, now);
      this.#processing.add(item);
      this.#dirty.delete(item);
      this.metrics.depth(this.len());
      this.#waiters.shift()!({ shutdown: false, item });
    }
    if (this.#shuttingDown && this.len() === 0) {
      for (const resolve of this.#waiters.splice(0)) resolve({ shutdown: true });
    }
  }

  #unfinished(): { unfinishedWorkSeconds: number; longestRunningProcessorSeconds: number } {
    const now = this.clock.now();
    let total = 0;
    let longest = 0;
    for (const started of this.#startedAt.values()) {
      const seconds = (now - started) / 1000;
      total += seconds;
      longest = Math.max(longest, seconds);
    }
    return { unfinishedWorkSeconds: total, longestRunningProcessorSeconds: longest };
  }
}
