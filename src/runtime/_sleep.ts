/**
 * {@link Clock.sleep} on any clock's timers, shared by the real and the fake clock.
 *
 * @module
 */
import type { Clock } from "./clock.ts";

/** Resolves after `delayMs` on `clock`, or rejects with `signal.reason` on abort, leaving no timer. */
export function sleepWith(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, delayMs));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
