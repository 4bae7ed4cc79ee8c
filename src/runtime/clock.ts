/**
 * Injected time: a {@link Clock} interface and the real implementation
 * ({@link realClock}), as client-go injects `k8s.io/utils/clock` into its
 * workqueue and leader election so that their tests need no sleeps (the
 * manual clock for tests, `FakeClock`, is in `testing.ts`).
 *
 * @module
 */
import { sleepWith } from "./_sleep.ts";

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = number;

/**
 * A source of time and timers.
 *
 * Guarantees: a timer cleared with {@link Clock.clearTimeout} never fires;
 * {@link Clock.sleep} rejects with the signal's reason when it is aborted and
 * leaves no timer behind.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `delayMs`. */
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer; unknown handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
  /** Resolves after `delayMs`, or rejects with `signal.reason` on abort. */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
}

/** The wall clock, backed by `Date.now` and the global timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, delayMs) => setTimeout(fn, Math.max(0, delayMs)) as unknown as number,
  clearTimeout: (handle) => clearTimeout(handle),
  sleep(delayMs, signal) {
    return sleepWith(realClock, delayMs, signal);
  },
};
