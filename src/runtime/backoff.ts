/**
 * The reflector's reconnect backoff, as client-go builds it
 * (`wait.NewExponentialBackoffManager(800ms, 30s, 2min, 2.0, 1.0)`):
 * exponential, capped, jittered, and reset after a healthy period.
 * Hand-written because client-node's ListWatch reconnects with no backoff at
 * all, which after an apiserver restart becomes a request storm.
 *
 * @module
 */
import { type Clock, realClock } from "./clock.ts";

/** Options of {@link Backoff}; defaults are client-go's reflector values. */
export interface BackoffOptions {
  /** First delay; default 800 ms. */
  readonly initialMs?: number;
  /** Cap before jitter; default 30 000 ms. */
  readonly maxMs?: number;
  /** Growth per failure; default 2. */
  readonly factor?: number;
  /** Adds up to `jitter × delay` at random; default 1.0 (so up to twice the delay). */
  readonly jitter?: number;
  /** A failure this long after the previous one starts over; default 120 000 ms. */
  readonly resetAfterMs?: number;
  readonly clock?: Clock;
  /** Random source in [0, 1); default `Math.random`. */
  readonly random?: () => number;
}

/**
 * Computes successive delays after failures.
 *
 * Guarantees: the un-jittered delay never exceeds `maxMs`; after
 * `resetAfterMs` without a failure the next delay is `initialMs` again.
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #resetAfterMs: number;
  readonly #clock: Clock;
  readonly #random: () => number;
  #currentMs: number;
  #lastFailure = -Infinity;

  constructor(options: BackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 800;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#factor = options.factor ?? 2;
    this.#jitter = options.jitter ?? 1;
    this.#resetAfterMs = options.resetAfterMs ?? 120_000;
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? Math.random;
    this.#currentMs = this.#initialMs;
  }

  /** The delay to wait after a failure now; advances the sequence. */
  next(): number {
    const now = this.#clock.now();
    if (now - this.#lastFailure > this.#resetAfterMs) this.#currentMs = this.#initialMs;
    this.#lastFailure = now;
    const base = Math.min(this.#currentMs, this.#maxMs);
    this.#currentMs = Math.min(this.#currentMs * this.#factor, this.#maxMs);
    return base + this.#random() * this.#jitter * base;
  }

  /** Starts over at once (used after an explicit success). */
  reset(): void {
    this.#currentMs = this.#initialMs;
    this.#lastFailure = -Infinity;
  }
}
