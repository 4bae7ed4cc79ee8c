/**
 * A delaying workqueue with rate-limited re-adds (client-go
 * `util/workqueue/rate_limiting_queue.go`). Hand-written: client-node has no
 * workqueue and no rate limiting.
 *
 * @module
 */
import { type DelayingInterface, DelayingQueue } from "./delaying_queue.ts";
import type { QueueOptions } from "./queue.ts";
import { defaultControllerRateLimiter, type RateLimiter } from "./rate_limiters.ts";

/** A workqueue whose re-adds wait as long as a {@link RateLimiter} says. */
export interface RateLimitingInterface<T> extends DelayingInterface<T> {
  /** Adds `item` after the rate limiter's delay for it. */
  addRateLimited(item: T): void;
  /** Resets the rate limiter's memory of `item` (it succeeded). */
  forget(item: T): void;
  /** Requeues of `item` since it was last forgotten. */
  numRequeues(item: T): number;
}

/** Options of {@link RateLimitingQueue}. */
export interface RateLimitingQueueOptions<T> extends QueueOptions {
  /** Default {@link defaultControllerRateLimiter}. */
  readonly rateLimiter?: RateLimiter<T>;
}

/** client-go's rate-limiting queue. */
export class RateLimitingQueue<T> extends DelayingQueue<T> implements RateLimitingInterface<T> {
  readonly #limiter: RateLimiter<T>;

  constructor(options: RateLimitingQueueOptions<T> = {}) {
    super(options);
    this.#limiter = options.rateLimiter ?? defaultControllerRateLimiter<T>(this.clock);
  }

  addRateLimited(item: T): void {
    this.addAfter(item, this.#limiter.when(item));
  }

  forget(item: T): void {
    this.#limiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.#limiter.numRequeues(item);
  }
}
