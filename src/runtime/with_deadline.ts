/**
 * Waiting for work with a deadline: the one `withDeadline` that the manager's
 * shutdown, the controller's drain and any handler deadline share.
 *
 * @module
 */
import { type Clock, realClock } from "./clock.ts";

/** How {@link withDeadline} ended. */
export type DeadlineOutcome<T> =
  | { readonly type: "done"; readonly value: T }
  | { readonly type: "failed"; readonly error: unknown }
  | { readonly type: "timeout"; readonly reason: unknown }
  | { readonly type: "cut"; readonly reason: unknown };

/** Options of {@link withDeadline}. */
export interface DeadlineOptions {
  /** How long to wait; 0 or less gives up at the next timer tick. */
  readonly timeoutMs: number;
  /** Timers to wait on; default {@link realClock}. */
  readonly clock?: Pick<Clock, "setTimeout" | "clearTimeout">;
  /** Stops waiting at once when it aborts (outcome `cut`, with its reason). */
  readonly signal?: AbortSignal;
  /**
   * What the work's signal aborts with at the deadline, built only then (an
   * Error's stack trace costs on every call otherwise); default a
   * `TimeoutError` DOMException naming `timeoutMs`.
   */
  readonly timeoutReason?: () => unknown;
}

/**
 * Runs `work` and waits until it settles, the deadline passes or
 * `options.signal` aborts, whichever is first.
 *
 * Guarantees: never rejects (a throw or rejection of `work` is the `failed`
 * outcome); the signal handed to `work` aborts at the deadline (with the
 * timeout reason) or when `options.signal` aborts (with its reason), never
 * after `work` settled; the timer and the abort listener are gone once it
 * resolves. Work that ignores its signal keeps running after a `timeout` or
 * `cut`: the caller only stops waiting for it.
 *
 * @example
 * ```ts
 * import { withDeadline } from "./with_deadline.ts";
 * const outcome = await withDeadline(() => new Promise(() => {}), { timeoutMs: 10 });
 * console.assert(outcome.type === "timeout");
 * ```
 */
export function withDeadline<T>(
  work: (signal: AbortSignal) => T | PromiseLike<T>,
  options: DeadlineOptions,
): Promise<DeadlineOutcome<T>> {
  const clock = options.clock ?? realClock;
  const cut = options.signal;
  const controller = new AbortController();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: DeadlineOutcome<T>) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      cut?.removeEventListener("abort", onCut);
      if (outcome.type === "timeout" || outcome.type === "cut") controller.abort(outcome.reason);
      resolve(outcome);
    };
    const onCut = () => finish({ type: "cut", reason: cut?.reason });
    const timer = clock.setTimeout(() => {
      const reason = options.timeoutReason?.() ??
        new DOMException(`Deadline of ${options.timeoutMs} ms passed`, "TimeoutError");
      finish({ type: "timeout", reason });
    }, Math.max(0, options.timeoutMs));
    if (cut?.aborted) {
      onCut();
      return;
    }
    cut?.addEventListener("abort", onCut, { once: true });
    let running: PromiseLike<T> | T;
    try {
      running = work(controller.signal);
    } catch (error) {
      finish({ type: "failed", error });
      return;
    }
    Promise.resolve(running).then(
      (value) => finish({ type: "done", value }),
      (error) => finish({ type: "failed", error }),
    );
  });
}
