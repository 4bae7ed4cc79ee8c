/**
 * The callers of `shutdownWithDrain` waiting for every handed-out item to be
 * `done`, shared by the queues.
 *
 * @module
 */

/** Pending drains: `wait` until `release`, or until the caller's signal aborts. */
export class DrainWaiters {
  #waiters: Array<() => void> = [];

  /**
   * Resolves at the next {@link DrainWaiters.release}, at once when `idle`,
   * or when `signal` aborts (the drain is then abandoned, not an error).
   */
  wait(idle: boolean, signal?: AbortSignal): Promise<void> {
    if (idle || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        signal?.removeEventListener("abort", finish);
        this.#waiters = this.#waiters.filter((w) => w !== finish);
        resolve();
      };
      this.#waiters.push(finish);
      signal?.addEventListener("abort", finish, { once: true });
    });
  }

  /** Resolves every pending drain. */
  release(): void {
    for (const resolve of this.#waiters.splice(0)) resolve();
  }
}
