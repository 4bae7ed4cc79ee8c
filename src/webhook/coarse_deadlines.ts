/**
 * Many deadlines of one length on one shared timer: each in-flight call is an
 * entry in a set, and one coarse tick expires the entries whose time is up.
 *
 * The webhook router arms a deadline for every admission request and clears
 * it a few hundred microseconds later; a timer per request (create, then
 * clear) cost about 8% of the CPU per request under load (issue 14). Here a
 * deadline is a set insertion and a deletion, and the one timer runs only
 * while a deadline is pending.
 *
 * ## Guarantees
 * An entry expires no sooner than `timeoutMs` after {@linkcode CoarseDeadlines.add}
 * and, with timers on time, less than `timeoutMs + 2 × tickMs` after it. Time
 * is counted in ticks of the injected timers, so a fake clock drives it in
 * tests. A cancelled entry never expires. No timer is pending while no entry is.
 *
 * @module
 */
import type { Timers } from "./timers.ts";

/** Longest tick: the slack past `timeoutMs` stays under half a second. */
export const MAX_TICK_MS = 250;
/** Ticks per deadline at least, so that the slack stays a few percent of short deadlines. */
export const MIN_TICKS_PER_DEADLINE = 32;

/** A pending deadline; pass it to {@linkcode CoarseDeadlines.cancel}. */
export interface Deadline {
  /** The tick at which it expires. */
  readonly atTick: number;
  /** Called once when it expires. */
  readonly expire: () => void;
}

/** Deadlines of one length, `timeoutMs`, expired by one shared tick. */
export class CoarseDeadlines {
  #clock: Timers;
  #tickMs: number;
  #ticksPerDeadline: number;
  #tick = 0;
  #pending = new Set<Deadline>();
  #timer: number | undefined;

  /**
   * Creates an empty set of deadlines of `timeoutMs`, ticking every
   * `min(250, timeoutMs / 32)` ms (at least 1) while any is pending.
   *
   * @throws {RangeError} when `timeoutMs` is not a positive number.
   */
  constructor(timeoutMs: number, clock: Timers) {
    if (!(timeoutMs > 0)) {
      throw new RangeError(`Cannot create deadlines: timeoutMs ${timeoutMs} is not above 0`);
    }
    this.#clock = clock;
    this.#tickMs = Math.max(
      1,
      Math.min(MAX_TICK_MS, Math.floor(timeoutMs / MIN_TICKS_PER_DEADLINE)),
    );
    this.#ticksPerDeadline = Math.ceil(timeoutMs / this.#tickMs);
  }

  /** Milliseconds between two ticks. */
  get tickMs(): number {
    return this.#tickMs;
  }

  /** How many deadlines are pending. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Calls `expire` once `timeoutMs` have passed, unless cancelled first.
   *
   * The current tick has already partly passed, so the count starts at the
   * next one: `expire` runs on the tick `ticksPerDeadline + 1` from now.
   */
  add(expire: () => void): Deadline {
    const deadline: Deadline = { atTick: this.#tick + this.#ticksPerDeadline + 1, expire };
    this.#pending.add(deadline);
    if (this.#timer === undefined) this.#arm();
    return deadline;
  }

  /** Forgets `deadline`; its `expire` is never called. Unknown or expired ones are ignored. */
  cancel(deadline: Deadline): void {
    this.#pending.delete(deadline);
    if (this.#pending.size === 0 && this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => this.#onTick(), this.#tickMs);
  }

  #onTick(): void {
    this.#timer = undefined;
    const now = ++this.#tick;
    let due: Deadline[] | undefined;
    for (const deadline of this.#pending) {
      if (deadline.atTick <= now) (due ??= []).push(deadline);
    }
    if (due !== undefined) {
      for (const deadline of due) this.#pending.delete(deadline);
    }
    if (this.#pending.size > 0) this.#arm();
    if (due === undefined) return;
    // Last, so that an `expire` that adds or cancels sees a consistent state;
    // one that throws fails as its own timer would have, without skipping the others.
    for (const deadline of due) {
      try {
        deadline.expire();
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
