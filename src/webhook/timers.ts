/**
 * The timers the webhook package schedules with: the shape of the runtime's
 * `Clock` timers (`src/runtime/clock.ts`), so its `FakeClock` stands in for
 * them in tests without the package depending on the runtime.
 *
 * @module
 */

/** One-shot timers. */
export interface Timers {
  /** Calls `fn` once after `delayMs`; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, delayMs: number): number;
  /** Cancels a timer; unknown handles are ignored. */
  clearTimeout(handle: number): void;
}

/** The global timers. */
export const realTimers: Timers = {
  setTimeout: (fn, delayMs) => setTimeout(fn, delayMs) as unknown as number,
  clearTimeout: (handle) => clearTimeout(handle),
};
