/**
 * Awaiting an abort (private helper of the controller and the manager).
 *
 * @module
 */

/** Resolves once `signal` aborts (at once if it already has); never rejects. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
