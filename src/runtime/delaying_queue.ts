/**
 * A workqueue that can add an item after a delay, on a heap ordered by ready
 * time (client-go `util/workqueue/delaying_queue.go`). Hand-written: client-node
 * has no workqueue (see queue.ts).
 *
 * ## Guarantees
 * - An item added with a delay is queued no earlier than its ready time;
 *   items are queued in ready-time order (ties in the order they were added).
 * - An item already waiting keeps the earlier of its two ready times.
 * - One clock timer at most is pending, and none after shutdown.
 *
 * @module
 */
import { Heap } from "./_heap.ts";
import { Queue, type QueueOptions, type WorkQueue } from "./queue.ts";
import type { TimerHandle } from "./clock.ts";

interface Waiting<T> {
  readonly item: T;
  readonly readyAt: number;
  readonly seq: number;
}

/** A workqueue with delayed adds. */
export interface DelayingInterface<T> extends WorkQueue<T> {
  /** Adds `item` once `delayMs` has passed (at once when `delayMs <= 0`). */
  addAfter(item: T, delayMs: number): void;
}

/** client-go's delaying queue: {@link Queue} plus {@link DelayingQueue.addAfter}. */
export class DelayingQueue<T> extends Queue<T> implements DelayingInterface<T> {
  readonly #heap = new Heap<Waiting<T>>((a, b) => a.readyAt - b.readyAt || a.seq - b.seq);
  readonly #waiting = new Map<T, Waiting<T>>();
  #seq = 0;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;

  constructor(options: QueueOptions = {}) {
    super(options);
  }

  addAfter(item: T, delayMs: number): void {
    if (this.shuttingDown()) return;
    this.metrics.retry();
    if (delayMs <= 0) {
      this.add(item);
      return;
    }
    const readyAt = this.clock.now() + delayMs;
    const existing = this.#waiting.get(item);
    if (existing !== undefined && existing.readyAt <= readyAt) return;
    const entry = { item, readyAt, seq: this.#seq++ };
    this.#waiting.set(item, entry);
    this.#heap.push(entry);
    this.#arm();
  }

  /** Number of items waiting for their delay to pass. */
  waitingLen(): number {
    return this.#waiting.size;
  }

  override shutdown(): void {
    super.shutdown();
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #arm(): void {
    if (this.shuttingDown()) return;
    const next = this.#nextLive();
    if (next === undefined) return;
    if (this.#timer !== undefined && this.#timerAt <= next.readyAt) return;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timerAt = next.readyAt;
    this.#timer = this.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#release();
    }, next.readyAt - this.clock.now());
  }

  #nextLive(): Waiting<T> | undefined {
    for (;;) {
      const top = this.#heap.peek();
      if (top === undefined || this.#waiting.get(top.item) === top) return top;
      this.#heap.pop();
    }
  }

  #release(): void {
    const now = this.clock.now();
    for (;;) {
      const next = this.#nextLive();
      if (next === undefined || next.readyAt > now) break;
      this.#heap.pop();
      this.#waiting.delete(next.item);
      this.add(next.item);
    }
    this.#arm();
  }
}
