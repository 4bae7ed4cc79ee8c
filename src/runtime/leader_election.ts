/**
 * Leader election with client-go's semantics and defaults
 * (`tools/leaderelection/leaderelection.go`). Hand-written: client-node has
 * no leader election.
 *
 * ## Guarantees
 * - At most one candidate believes it leads, provided clocks run at the same
 *   rate: others judge expiry by their *own* clock from when they last saw
 *   the record change, never by the record's timestamps.
 * - A leader that cannot renew within `renewDeadlineMs` of its last renewal
 *   aborts both signals given to `onStartedLeading` with a
 *   {@link LeaderElectionLostError} at once — before the lease
 *   (`leaseDurationMs` ≥ `renewDeadlineMs`) can expire for anyone else —
 *   even while that work drains after a graceful stop.
 * - On a graceful stop the leader keeps renewing while its leader work drains
 *   (controller-runtime releases the lease only after leader runnables have
 *   stopped), then releases the lease (holder `""`, duration 1 s, as
 *   `ReleaseOnCancel`), so a standby takes over on its next retry instead of
 *   after a full lease — and never while the old leader still works.
 * - A standby judges expiry by the duration the holder wrote in the record
 *   (`leaseDurationSeconds`), as client-go does, not by its own setting: a
 *   holder configured with a longer lease is not deposed early.
 *
 * ## What the process does when leadership is lost
 * {@link LeaderElector.run} resolves `{type: "lost"}`; the manager then stops
 * everything and its `start()` resolves `{reason: "leaderElectionLost"}`, and
 * `main.ts` exits non-zero so that the pod restarts — controller-runtime's
 * choice. We keep it because a reconcile that ignored its abort signal may
 * still be writing, and per-process state (rate limiters, caches assumed
 * exclusive) is only trustworthy again after a clean start; a restart count
 * is also the signal operators already alert on.
 *
 * @module
 */
import { NotFoundError } from "../kube/mod.ts";
import { getLogger, type Logger } from "../observability/log.ts";
import { type Clock, realClock } from "./clock.ts";
import type { LeaderElectionRecord, ResourceLock } from "./resource_lock.ts";
import type { StartOptions } from "./runnable.ts";
import { withDeadline } from "./with_deadline.ts";

/**
 * The abort reason of leader work whose lease was lost: stop at once, with no
 * drain, because another replica may lead already.
 */
export class LeaderElectionLostError extends Error {
  override name = "LeaderElectionLostError";
}

/** Callbacks; each is optional. */
export interface LeaderCallbacks {
  /**
   * Leader work; stop when `signal` aborts (drain if you like: the lease is
   * renewed until this returns, then released). `options.abortNow` aborts
   * when the lease is lost, even after `signal`: stop at once then.
   */
  onStartedLeading?(signal: AbortSignal, options: StartOptions): void | Promise<void>;
  /** Called once `run` is done leading (or never led), always. */
  onStoppedLeading?(): void;
  /** Called when the observed holder changes (including to this candidate). */
  onNewLeader?(identity: string): void;
}

/** Options of {@link LeaderElector}; defaults are client-go's. */
export interface LeaderElectorOptions extends LeaderCallbacks {
  /**
   * Written to the record as `leaseDurationSeconds` (rounded up): how long
   * others wait after they last saw this leader renew; default 15 000 ms.
   */
  readonly leaseDurationMs?: number;
  /** How long a leader keeps trying to renew; default 10 000 ms. */
  readonly renewDeadlineMs?: number;
  /** Wait between attempts; default 2 000 ms. */
  readonly retryPeriodMs?: number;
  /** Release the lease on graceful stop; default true. */
  readonly releaseOnCancel?: boolean;
  /** For logs and metrics; default the lock's description. */
  readonly name?: string;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly log?: Logger;
  /** Reports leadership changes (for `leader_election_master_status`). */
  readonly onLeadingChange?: (leading: boolean) => void;
}

/** How {@link LeaderElector.run} ended. */
export type LeaderElectionOutcome =
  | { readonly type: "stopped" }
  | { readonly type: "lost" };

const JITTER_FACTOR = 1.2;

/** Competes for a lock and runs leader work while holding it. */
export class LeaderElector {
  readonly #lock: ResourceLock;
  readonly #o: Required<
    Pick<LeaderElectorOptions, "leaseDurationMs" | "renewDeadlineMs" | "retryPeriodMs">
  >;
  readonly #options: LeaderElectorOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #log: Logger;
  #observed: LeaderElectionRecord | undefined;
  #observedVersion = "";
  #observedAt = 0;
  #reportedLeader = "";
  #leading = false;

  /** @throws {RangeError} unless leaseDuration > renewDeadline > 1.2 × retryPeriod > 0. */
  constructor(lock: ResourceLock, options: LeaderElectorOptions = {}) {
    this.#lock = lock;
    this.#options = options;
    this.#o = {
      leaseDurationMs: options.leaseDurationMs ?? 15_000,
      renewDeadlineMs: options.renewDeadlineMs ?? 10_000,
      retryPeriodMs: options.retryPeriodMs ?? 2_000,
    };
    const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = this.#o;
    if (!(leaseDurationMs > renewDeadlineMs)) {
      throw new RangeError("Cannot elect: leaseDurationMs must be greater than renewDeadlineMs");
    }
    if (!(renewDeadlineMs > JITTER_FACTOR * retryPeriodMs) || retryPeriodMs <= 0) {
      throw new RangeError("Cannot elect: renewDeadlineMs must exceed 1.2 × retryPeriodMs > 0");
    }
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? Math.random;
    this.#log = (options.log ?? getLogger("leader-election")).child({
      lock: options.name ?? lock.describe(),
      identity: lock.identity,
    });
  }

  /** Whether this candidate currently holds the lock. */
  isLeader(): boolean {
    return this.#leading;
  }

  /** The identity last seen holding the lock (`""` for none). */
  get leader(): string {
    return this.#observed?.holderIdentity ?? "";
  }

  /**
   * Campaigns until leading, leads until `signal` aborts or renewal fails,
   * then returns. Never throws for lock errors (they are retried).
   */
  async run(signal: AbortSignal): Promise<LeaderElectionOutcome> {
    try {
      if (!(await this.#acquire(signal))) return { type: "stopped" };
      this.#setLeading(true);
      this.#log.info("became leader");
      // Leader work stops when asked to, or when the lease is lost.
      const lose = new AbortController();
      const work = AbortSignal.any([signal, lose.signal]);
      const now = new AbortController();
      // Renew until leader work has returned after a stop, not merely until
      // the stop: a lease left to expire while work drains lets a standby in
      // while this replica still writes.
      const stopRenewing = new AbortController();
      let workReturned = false;
      const onAbort = () => {
        if (workReturned) stopRenewing.abort();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const leaderWork = Promise.resolve()
        .then(() => this.#options.onStartedLeading?.(work, { abortNow: now.signal }))
        .catch((err) => this.#log.error("leader work failed", { err }))
        .finally(() => {
          workReturned = true;
          if (signal.aborted) stopRenewing.abort();
        });
      if (signal.aborted) onAbort();
      const renewed = await this.#renewLoop(stopRenewing.signal);
      signal.removeEventListener("abort", onAbort);
      if (!renewed) {
        this.#setLeading(false);
        this.#log.error("leader election lost: could not renew within the renew deadline");
        const lost = new LeaderElectionLostError(
          "Cannot lead: the lease was not renewed within the renew deadline",
        );
        lose.abort(lost);
        now.abort(lost);
        await leaderWork;
        return { type: "lost" };
      }
      if (this.#options.releaseOnCancel ?? true) await this.#release();
      this.#setLeading(false);
      return { type: "stopped" };
    } finally {
      this.#options.onStoppedLeading?.();
    }
  }

  async #acquire(signal: AbortSignal): Promise<boolean> {
    // Beyond client-go: while waiting, a watch on the lock (where the lock
    // offers one) cuts the wait short when the record changes, so a released
    // lease is taken at once instead of up to 2.4 retry periods later. The
    // decision to acquire is still #tryAcquireOrRenew's, unchanged.
    const watching = new AbortController();
    let changed = Promise.withResolvers<void>();
    const watch = this.#lock.watch?.(watching.signal, () => changed.resolve())
      .catch((err) => this.#log.debug("lock watch failed; polling only", { err }));
    try {
      while (!signal.aborted) {
        changed = Promise.withResolvers<void>();
        if (await this.#tryAcquireOrRenew(signal)) return true;
        const wait = this.#o.retryPeriodMs * (1 + this.#random() * JITTER_FACTOR);
        const woken = new AbortController();
        changed.promise.then(() => woken.abort());
        try {
          await this.#clock.sleep(wait, AbortSignal.any([signal, woken.signal]));
        } catch {
          // woken by a change to the lock, or stopped
        }
      }
      return false;
    } finally {
      watching.abort();
      await watch;
    }
  }

  /** Renews every retry period; false once the renew deadline passed without success. */
  async #renewLoop(signal: AbortSignal): Promise<boolean> {
    let lastRenew = this.#clock.now();
    while (!signal.aborted) {
      try {
        await this.#clock.sleep(this.#o.retryPeriodMs, signal);
      } catch {
        return true;
      }
      const deadline = lastRenew + this.#o.renewDeadlineMs;
      const passed = new AbortController();
      const timer = this.#clock.setTimeout(
        () => passed.abort(new Error("renew deadline passed")),
        deadline - this.#clock.now(),
      );
      const attempt = AbortSignal.any([signal, passed.signal]);
      let ok = false;
      try {
        // Poll within the deadline, as client-go's PollImmediateUntil.
        while (!attempt.aborted) {
          if (await this.#tryAcquireOrRenew(attempt)) {
            ok = true;
            break;
          }
          await this.#clock.sleep(this.#o.retryPeriodMs, attempt).catch(() => {});
        }
      } finally {
        this.#clock.clearTimeout(timer);
      }
      if (ok) lastRenew = this.#clock.now();
      else if (signal.aborted) return true;
      else return false;
    }
    return true;
  }

  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = this.#clock.now();
    const desired = {
      holderIdentity: this.#lock.identity,
      leaseDurationSeconds: Math.ceil(this.#o.leaseDurationMs / 1000),
      acquireTimeMs: now,
      renewTimeMs: now,
      leaseTransitions: 0,
    };
    try {
      let current;
      try {
        current = await this.#lock.get(signal);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        await this.#lock.create(desired, signal);
        this.#observe(desired, "created", this.#clock.now());
        return true;
      }
      if (current.version !== this.#observedVersion) {
        this.#observe(current.record, current.version, now);
      }
      const held = current.record.holderIdentity !== "" &&
        current.record.holderIdentity !== this.#lock.identity;
      // client-go's isLeaseValid: the holder's own duration, from when we saw it.
      const validMs = current.record.leaseDurationSeconds * 1000;
      if (held && this.#observedAt + validMs > now) return false;
      const record = current.record.holderIdentity === this.#lock.identity
        ? {
          ...desired,
          acquireTimeMs: current.record.acquireTimeMs,
          leaseTransitions: current.record.leaseTransitions,
        }
        : { ...desired, leaseTransitions: current.record.leaseTransitions + 1 };
      await this.#lock.update(record, signal);
      this.#observe(record, "self", this.#clock.now());
      return true;
    } catch (err) {
      if (!signal.aborted) this.#log.debug("cannot acquire or renew the lock", { err });
      return false;
    }
  }

  #observe(record: LeaderElectionRecord, version: string, at: number): void {
    this.#observed = record;
    this.#observedVersion = version;
    this.#observedAt = at;
    if (record.holderIdentity !== this.#reportedLeader) {
      this.#reportedLeader = record.holderIdentity;
      if (record.holderIdentity !== "") {
        this.#log.info("new leader observed", { leader: record.holderIdentity });
        this.#options.onNewLeader?.(record.holderIdentity);
      }
    }
  }

  /**
   * Gives the lease up, as client-go's `release`: reads it first, because the
   * version this elector last wrote may be stale (a renewal cut short by the
   * stop can commit without its answer arriving, and a PUT with the old
   * version is then refused, leaving the lease to expire while a standby
   * waits), and leaves it alone unless this candidate still holds it.
   * Bounded by the renew deadline.
   */
  async #release(): Promise<void> {
    const outcome = await withDeadline(async (signal) => {
      const current = await this.#lock.get(signal);
      const holder = current.record.holderIdentity;
      if (holder !== this.#lock.identity) return { released: false, holder };
      const now = this.#clock.now();
      await this.#lock.update({
        holderIdentity: "",
        leaseDurationSeconds: 1,
        acquireTimeMs: now,
        renewTimeMs: now,
        leaseTransitions: current.record.leaseTransitions,
      }, signal);
      return { released: true, holder };
    }, { timeoutMs: this.#o.renewDeadlineMs, clock: this.#clock });
    if (outcome.type !== "done") {
      const err = outcome.type === "failed" ? outcome.error : outcome.reason;
      this.#log.warn("cannot release the lease; it will expire", { err });
    } else if (outcome.value.released) {
      this.#log.info("released the lease");
    } else {
      this.#log.info("not releasing the lease: another candidate holds it", {
        holder: outcome.value.holder,
      });
    }
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#options.onLeadingChange?.(leading);
  }
}
