/**
 * controller-runtime's priority workqueue (`pkg/controller/priorityqueue`, on
 * by default since v0.23): items carry a priority, higher priorities are
 * handed out first and FIFO within one priority, so that a user's change made
 * right after a restart is not stuck behind thousands of no-op reconciles of
 * the initial list (which go in at {@link LOW_PRIORITY}). Hand-written:
 * client-node has no workqueue. It is Vigil's only workqueue: with every
 * item at one priority it is client-go's rate-limiting delaying queue (FIFO,
 * de-duplicated, never one key in two workers), so that family is not kept
 * beside it.
 *
 * ## Guarantees
 * - De-duplication: an item waits in the queue at most once; re-adding it
 *   raises its priority (never lowers it) and keeps the earlier ready time.
 * - An item is never handed to two callers of `get` at once; one re-added
 *   while it is processed waits until {@link PriorityQueue.done}.
 * - Among ready items: highest priority first, then in the order they became
 *   ready. Delayed items become ready at their ready time.
 * - After shutdown, `get` reports `shutdown` at once (controller-runtime's
 *   behaviour; unlike client-go's basic queue it does not hand out the rest).
 *
 * @module
 */
import { DrainWaiters } from "./_drain_waiters.ts";
import { Heap } from "./_heap.ts";
import { type Clock, realClock, type TimerHandle } from "./clock.ts";
import { noopQueueMetrics, type QueueMetrics } from "./queue_metrics.ts";
import { defaultControllerRateLimiter, type RateLimiter } from "./rate_limiters.ts";

/** Priority of items from an initial list or an unchanged resync (controller-runtime's `LowPriority`). */
export const LOW_PRIORITY = -100;

/** How to add items; every field is optional. */
export interface AddOptions {
  /** Wait this long before the item is ready; default 0. */
  readonly afterMs?: number;
  /** Also wait the rate limiter's delay (the shorter of the two wins, as in controller-runtime). */
  readonly rateLimited?: boolean;
  /** Default 0; higher is served first. */
  readonly priority?: number;
}

/** What {@link PriorityQueue.get} resolves to. */
export type PriorityGetResult<T> =
  | { readonly shutdown: false; readonly item: T; readonly priority: number }
  | { readonly shutdown: true };

/** Options of {@link PriorityQueue}. */
export interface PriorityQueueOptions<T> {
  readonly name?: string;
  readonly clock?: Clock;
  readonly metrics?: QueueMetrics;
  /** Default {@link defaultControllerRateLimiter}. */
  readonly rateLimiter?: RateLimiter<T>;
}

interface Entry<T> {
  readonly item: T;
  priority: number;
  readyAt: number | undefined;
  readySince: number;
}

/** controller-runtime's priority queue. See the module doc for its guarantees. */
export class PriorityQueue<T> {
  readonly name: string;
  readonly #clock: Clock;
  readonly #metrics: QueueMetrics;
  readonly #limiter: RateLimiter<T>;
  readonly #entries = new Map<T, Entry<T>>();
  // Per priority, a FIFO array with a head index: a JS Map iterated after many
  // deletions from its front rescans the holes, which made get() O(n).
  readonly #buckets = new Map<number, { items: Entry<T>[]; head: number }>();
  #priorities: number[] = [];
  #readyCount = 0;
  readonly #delayed = new Heap<{ entry: Entry<T>; readyAt: number }>((a, b) =>
    a.readyAt - b.readyAt
  );
  readonly #locked = new Map<T, number>();
  readonly #waiters: Array<(r: PriorityGetResult<T>) => void> = [];
  readonly #drains = new DrainWaiters();
  #shutdown = false;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;

  constructor(options: PriorityQueueOptions<T> = {}) {
    this.name = options.name ?? "";
    this.#clock = options.clock ?? realClock;
    this.#metrics = options.metrics ?? noopQueueMetrics;
    this.#limiter = options.rateLimiter ?? defaultControllerRateLimiter<T>(this.#clock);
    this.#metrics.observeUnfinished(() => {
      const now = this.#clock.now();
      let total = 0;
      let longest = 0;
      for (const started of this.#locked.values()) {
        total += (now - started) / 1000;
        longest = Math.max(longest, (now - started) / 1000);
      }
      return { unfinishedWorkSeconds: total, longestRunningProcessorSeconds: longest };
    });
  }

  /** Adds items with a priority, a delay and/or the rate limiter's delay. */
  addWithOptions(options: AddOptions, ...items: T[]): void {
    if (this.#shutdown) return;
    const priority = options.priority ?? 0;
    for (const item of items) {
      let after = options.afterMs ?? 0;
      if (options.rateLimited) {
        const limited = this.#limiter.when(item);
        if (after <= 0 || limited < after) after = limited;
      }
      const now = this.#clock.now();
      const readyAt = after > 0 ? now + after : undefined;
      if (readyAt !== undefined) this.#metrics.retry();
      const entry = this.#entries.get(item);
      if (entry === undefined) {
        const created: Entry<T> = { item, priority, readyAt, readySince: now };
        this.#entries.set(item, created);
        if (readyAt === undefined) this.#makeReady(created);
        else this.#delayed.push({ entry: created, readyAt });
        continue;
      }
      if (priority > entry.priority) {
        if (entry.readyAt === undefined) {
          // The old slot goes stale (its priority no longer matches).
          entry.priority = priority;
          this.#bucket(priority).items.push(entry);
        } else {
          entry.priority = priority;
        }
      }
      if (entry.readyAt !== undefined && (readyAt === undefined || readyAt < entry.readyAt)) {
        entry.readyAt = readyAt;
        if (readyAt === undefined) this.#makeReady(entry);
        else this.#delayed.push({ entry, readyAt });
      }
    }
    this.#arm();
    this.#dispatch();
  }

  /** Adds `item` at priority 0, ready now (a waiting copy is not duplicated). */
  add(item: T): void {
    this.addWithOptions({}, item);
  }

  /** Adds `item` once `delayMs` have passed. */
  addAfter(item: T, delayMs: number): void {
    this.addWithOptions({ afterMs: delayMs }, item);
  }

  /** Adds `item` after the rate limiter's delay for it. */
  addRateLimited(item: T): void {
    this.addWithOptions({ rateLimited: true }, item);
  }

  /** Resets the rate limiter's memory of `item` (it succeeded). */
  forget(item: T): void {
    this.#limiter.forget(item);
  }

  /** Requeues of `item` since it was last forgotten. */
  numRequeues(item: T): number {
    return this.#limiter.numRequeues(item);
  }

  /** Waits for the highest-priority ready item that no one is processing. */
  get(): Promise<PriorityGetResult<T>> {
    if (this.#shutdown) return Promise.resolve({ shutdown: true });
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.#dispatch();
    });
  }

  /** Marks `item` processed; re-added meanwhile, it becomes ready again. */
  done(item: T): void {
    const started = this.#locked.get(item);
    if (started === undefined) return;
    this.#metrics.workDuration((this.#clock.now() - started) / 1000);
    this.#locked.delete(item);
    this.#dispatch();
    if (this.#locked.size === 0) {
      this.#drains.release();
    }
  }

  /** Ready items waiting (delayed ones are not counted, as in controller-runtime). */
  len(): number {
    return this.#readyCount;
  }

  /** Ignores further adds; waiting and future `get`s report shutdown. */
  shutdown(): void {
    this.#shutdown = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const resolve of this.#waiters.splice(0)) resolve({ shutdown: true });
  }

  /** Shuts down and resolves once in-flight items are done, or when `signal` aborts. */
  shutdownWithDrain(signal?: AbortSignal): Promise<void> {
    this.shutdown();
    return this.#drains.wait(this.#locked.size === 0, signal);
  }

  /** Whether {@link PriorityQueue.shutdown} was called. */
  shuttingDown(): boolean {
    return this.#shutdown;
  }

  #bucket(priority: number): { items: Entry<T>[]; head: number } {
    let bucket = this.#buckets.get(priority);
    if (bucket === undefined) {
      bucket = { items: [], head: 0 };
      this.#buckets.set(priority, bucket);
      this.#priorities = [...this.#buckets.keys()].sort((a, b) => b - a);
    }
    return bucket;
  }

  #makeReady(entry: Entry<T>): void {
    entry.readySince = this.#clock.now();
    this.#bucket(entry.priority).items.push(entry);
    this.#readyCount++;
    this.#metrics.add();
    this.#metrics.depth(this.#readyCount);
  }

  #live(entry: Entry<T>, priority: number): boolean {
    return this.#entries.get(entry.item) === entry && entry.readyAt === undefined &&
      entry.priority === priority;
  }

  #dispatch(): void {
    outer: while (this.#waiters.length > 0 && this.#readyCount > 0) {
      for (const priority of this.#priorities) {
        const bucket = this.#buckets.get(priority)!;
        while (
          bucket.head < bucket.items.length && !this.#live(bucket.items[bucket.head]!, priority)
        ) {
          bucket.head++;
        }
        for (let i = bucket.head; i < bucket.items.length; i++) {
          const entry = bucket.items[i]!;
          if (!this.#live(entry, priority) || this.#locked.has(entry.item)) continue;
          if (i === bucket.head) bucket.head++;
          else bucket.items.splice(i, 1);
          if (bucket.head > 1024 && bucket.head * 2 > bucket.items.length) {
            bucket.items = bucket.items.slice(bucket.head);
            bucket.head = 0;
          }
          this.#entries.delete(entry.item);
          this.#readyCount--;
          const now = this.#clock.now();
          this.#locked.set(entry.item, now);
          this.#metrics.queueLatency((now - entry.readySince) / 1000);
          this.#metrics.depth(this.#readyCount);
          this.#waiters.shift()!({ shutdown: false, item: entry.item, priority: entry.priority });
          continue outer;
        }
      }
      return;
    }
  }

  #nextDelayed(): { entry: Entry<T>; readyAt: number } | undefined {
    for (;;) {
      const top = this.#delayed.peek();
      if (top === undefined) return undefined;
      if (this.#entries.get(top.entry.item) === top.entry && top.entry.readyAt === top.readyAt) {
        return top;
      }
      this.#delayed.pop();
    }
  }

  #arm(): void {
    if (this.#shutdown) return;
    const next = this.#nextDelayed();
    if (next === undefined || (this.#timer !== undefined && this.#timerAt <= next.readyAt)) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timerAt = next.readyAt;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      const now = this.#clock.now();
      for (;;) {
        const due = this.#nextDelayed();
        if (due === undefined || due.readyAt > now) break;
        this.#delayed.pop();
        due.entry.readyAt = undefined;
        this.#makeReady(due.entry);
      }
      this.#arm();
      this.#dispatch();
    }, next.readyAt - this.#clock.now());
  }
}
