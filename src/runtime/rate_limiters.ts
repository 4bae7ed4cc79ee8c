/**
 * Rate limiters for requeues, behind client-go's three-method interface
 * (`util/workqueue/default_rate_limiters.go`): per-item exponential backoff, an
 * overall token bucket, and `maxOf` to combine them. Hand-written: client-node
 * has no rate limiting at all.
 *
 * @module
 */
import { type Clock, realClock } from "./clock.ts";

/** Decides how long an item waits before it is retried. */
export interface RateLimiter<T> {
  /** How long `item` should wait now; counts one more requeue for it. */
  when(item: T): number;
  /** How many times `item` has been requeued since it was last forgotten. */
  numRequeues(item: T): number;
  /** Stops tracking `item` (call after it succeeded). */
  forget(item: T): void;
}

/** Options of {@link ItemExponentialFailureRateLimiter}. */
export interface ExponentialOptions {
  /** First delay; default 5 ms (client-go's controller default). */
  readonly baseDelayMs?: number;
  /** Cap; default 1 000 000 ms (1000 s). */
  readonly maxDelayMs?: number;
}

/** Per item: `baseDelayMs * 2^failures`, capped at `maxDelayMs`. */
export class ItemExponentialFailureRateLimiter<T> implements RateLimiter<T> {
  readonly #failures = new Map<T, number>();
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;

  constructor(options: ExponentialOptions = {}) {
    this.#baseDelayMs = options.baseDelayMs ?? 5;
    this.#maxDelayMs = options.maxDelayMs ?? 1_000_000;
  }

  when(item: T): number {
    const exp = this.#failures.get(item) ?? 0;
    this.#failures.set(item, exp + 1);
    const delay = this.#baseDelayMs * 2 ** exp;
    return Number.isFinite(delay) ? Math.min(delay, this.#maxDelayMs) : this.#maxDelayMs;
  }

  numRequeues(item: T): number {
    return this.#failures.get(item) ?? 0;
  }

  forget(item: T): void {
    this.#failures.delete(item);
  }
}

/** Options of {@link BucketRateLimiter}. */
export interface BucketOptions {
  /** Tokens added per second; default 10. */
  readonly qps?: number;
  /** Bucket size; default 100. */
  readonly burst?: number;
  /** Time source; default {@link realClock}. */
  readonly clock?: Clock;
}

/**
 * An overall token bucket (golang.org/x/time/rate `Reserve` semantics): each
 * `when` reserves one token and returns how long until it is available.
 */
export class BucketRateLimiter<T> implements RateLimiter<T> {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;

  constructor(options: BucketOptions = {}) {
    this.#qps = options.qps ?? 10;
    this.#burst = options.burst ?? 100;
    this.#clock = options.clock ?? realClock;
    this.#tokens = this.#burst;
    this.#last = this.#clock.now();
  }

  when(_item: T): number {
    const now = this.#clock.now();
    const elapsed = Math.max(0, now - this.#last);
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#qps) / 1000);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.#qps) * 1000;
  }

  numRequeues(_item: T): number {
    return 0;
  }

  forget(_item: T): void {}
}

/** Combines limiters: waits the longest of their delays; counts the most requeues. */
export function maxOf<T>(...limiters: RateLimiter<T>[]): RateLimiter<T> {
  return {
    when: (item) => limiters.reduce((max, l) => Math.max(max, l.when(item)), 0),
    numRequeues: (item) => limiters.reduce((max, l) => Math.max(max, l.numRequeues(item)), 0),
    forget: (item) => {
      for (const l of limiters) l.forget(item);
    },
  };
}

/**
 * client-go's `DefaultTypedControllerRateLimiter`: per-item exponential
 * (5 ms → 1000 s) combined with a 10 qps / burst 100 bucket.
 */
export function defaultControllerRateLimiter<T>(clock: Clock = realClock): RateLimiter<T> {
  return maxOf<T>(
    new ItemExponentialFailureRateLimiter<T>({ baseDelayMs: 5, maxDelayMs: 1_000_000 }),
    new BucketRateLimiter<T>({ qps: 10, burst: 100, clock }),
  );
}
