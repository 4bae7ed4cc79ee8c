/**
 * Starts runnables in controller-runtime's order and stops them in reverse
 * (`pkg/manager`): probe/metrics server, webhooks, caches (until synced),
 * other work, then leader election and leader-only controllers.
 * Hand-written: client-node has no manager, leader election or metrics.
 *
 * ## Guarantees
 * - A group starts only once the previous one is ready: servers listening,
 *   webhooks ready, caches synced.
 * - `/readyz` passes only once every cache has synced.
 * - {@link Manager.stop} (or aborting the signal given to `start`) stops
 *   intake, gives leader-only work `gracefulShutdownTimeoutMs` (30 s) to drain
 *   while the lease is still renewed, releases the lease, stops the rest in
 *   reverse order; `start` resolves only then, with a {@link ManagerExit}
 *   saying why.
 * - Webhooks keep serving for `webhookDrainMs` (0) counted from the moment a
 *   stop began, whatever its cause, while leader-only work, other work and
 *   caches stop; HTTP servers (probes, metrics) stop after the webhooks. A
 *   terminating pod stays in its Service's endpoints for a moment after
 *   SIGTERM, and with `failurePolicy: Fail` every admission request routed
 *   to a closed listener fails a user's write.
 * - Losing the lease aborts leader-only work at once — its signal and its
 *   `abortNow` (reason {@link LeaderElectionLostError}), also in the middle
 *   of a graceful drain — and waits for it no longer (controller-runtime sets
 *   the graceful timeout to 0 on lease loss); then it stops everything and
 *   resolves `leaderElectionLost`: the caller should exit non-zero (see
 *   leader_election.ts for why), which also ends work that ignored its abort.
 *
 * @module
 */
import { getLogger, type Logger } from "../observability/log.ts";
import { aborted } from "./_aborted.ts";
import { type Clock, realClock } from "./clock.ts";
import { HealthChecks } from "./health.ts";
import {
  LeaderElectionLostError,
  LeaderElector,
  type LeaderElectorOptions,
} from "./leader_election.ts";
import { type LeaseClient, LeaseLock } from "./lease_lock.ts";
import { RuntimeMetrics } from "./metrics.ts";
import { ProbeServer } from "./probe_server.ts";
import type { ResourceLock } from "./resource_lock.ts";
import { isCache, type Runnable, type RunnableGroup, type StartOptions } from "./runnable.ts";
import { withDeadline } from "./with_deadline.ts";

/** Why {@link Manager.start} returned. */
export type ManagerExit =
  | { readonly reason: "stopped" }
  | { readonly reason: "leaderElectionLost" }
  | { readonly reason: "error"; readonly error: unknown };

/** Leader election settings; timings default to client-go's. */
export interface ManagerLeaderElection
  extends Pick<LeaderElectorOptions, "leaseDurationMs" | "renewDeadlineMs" | "retryPeriodMs"> {
  /** Lease namespace and name (ignored when `lock` is given). */
  readonly namespace?: string;
  readonly name?: string;
  readonly identity?: string;
  /** A ready lock (tests pass a `MemoryLock`). */
  readonly lock?: ResourceLock;
}

/** Options of {@link Manager}. */
export interface ManagerOptions {
  /** Needed for a Lease lock. */
  readonly client?: LeaseClient;
  /** Omit to run leader-only work without election. */
  readonly leaderElection?: ManagerLeaderElection;
  /** Probe/metrics server; omit `port` for 8081, or pass `false` for none. */
  readonly probes?: { readonly port?: number; readonly hostname?: string } | false;
  /** Default 30 000 ms. */
  readonly gracefulShutdownTimeoutMs?: number;
  /** How long webhooks keep serving after a stop began; default 0 (no drain). */
  readonly webhookDrainMs?: number;
  readonly metrics?: RuntimeMetrics;
  readonly clock?: Clock;
  readonly log?: Logger;
}

const ORDER: readonly RunnableGroup[] = [
  "httpServers",
  "webhooks",
  "caches",
  "others",
  "leaderElection",
];

/** Runs runnables in groups; see the module doc. */
export class Manager {
  readonly metrics: RuntimeMetrics;
  readonly healthz = new HealthChecks();
  readonly readyz = new HealthChecks();
  readonly probeServer: ProbeServer | undefined;
  readonly #o: ManagerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #groups = new Map<RunnableGroup, Runnable[]>(ORDER.map((g) => [g, []]));
  readonly #stop = new AbortController();
  #elector: LeaderElector | undefined;
  #started = false;
  #stoppingAt: number | undefined;

  constructor(options: ManagerOptions = {}) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#log = options.log ?? getLogger("manager");
    this.metrics = options.metrics ?? new RuntimeMetrics();
    this.healthz.add("ping", () => {});
    this.readyz.add("caches", () => {
      const pending = (this.#groups.get("caches") ?? []).filter((c) =>
        isCache(c) && !c.hasSynced()
      );
      if (pending.length > 0) throw new Error(`${pending.length} cache(s) not synced`);
    });
    if (options.probes !== false) {
      this.probeServer = new ProbeServer({
        ...options.probes,
        healthz: this.healthz,
        readyz: this.readyz,
        registry: this.metrics.registry,
      });
      this.add(this.probeServer, { group: "httpServers" });
    }
  }

  /** Whether this replica leads now (always true without leader election). */
  isLeader(): boolean {
    return this.#o.leaderElection === undefined
      ? this.#started
      : this.#elector?.isLeader() ?? false;
  }

  /** Adds a runnable; its group is inferred (cache, leader-only, other) unless given. */
  add(runnable: Runnable, options: { readonly group?: RunnableGroup } = {}): this {
    if (this.#started) throw new Error("Cannot add a runnable: the manager has started");
    const group = options.group ??
      (isCache(runnable) ? "caches" : runnable.needLeaderElection ? "leaderElection" : "others");
    this.#groups.get(group)!.push(runnable);
    return this;
  }

  /** Begins a graceful stop; `start` resolves when it is done. */
  stop(): void {
    this.#stoppingAt ??= this.#clock.now();
    this.#stop.abort();
  }

  /** Runs until stopped or the lease is lost; never rejects. */
  async start(signal?: AbortSignal): Promise<ManagerExit> {
    if (this.#started) throw new Error("Cannot start the manager: it was already started");
    this.#started = true;
    const onAbort = () => this.stop();
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) this.stop();
    const stops: Array<{ group: RunnableGroup; abort: AbortController; running: Promise<void>[] }> =
      [];
    let exit: ManagerExit = { reason: "stopped" };
    const fail = (group: RunnableGroup) => (error: unknown) => {
      if (exit.reason === "stopped") exit = { reason: "error", error };
      this.#log.error("runnable failed; stopping", { group, err: error });
      this.stop();
    };
    try {
      for (const group of ORDER.slice(0, 4)) {
        if (this.#stop.signal.aborted) break;
        const abort = new AbortController();
        const runnables = this.#groups.get(group)!;
        const running = runnables.map((r) => r.start(abort.signal).catch(fail(group)));
        stops.unshift({ group, abort, running });
        const ready = runnables.map((r) =>
          isCache(r) ? r.waitForSync(this.#stop.signal) : r.ready?.(this.#stop.signal)
        );
        await Promise.race([Promise.all(ready), aborted(this.#stop.signal)]);
        this.#log.debug("group started", { group, runnables: runnables.length });
      }
      if (!this.#stop.signal.aborted) {
        const lost = await this.#runLeaderGroup();
        if (lost && exit.reason === "stopped") exit = { reason: "leaderElectionLost" };
      }
    } finally {
      this.stop();
      for (const { group, abort, running } of stops) {
        if (group === "webhooks") await this.#drainWebhooks(Promise.all(running));
        abort.abort();
        await Promise.all(running);
        this.#log.debug("group stopped", { group });
      }
      signal?.removeEventListener("abort", onAbort);
    }
    this.#log.info("manager stopped", { reason: exit.reason });
    return exit;
  }

  /** Runs leader-only work under election; true when the lease was lost. */
  async #runLeaderGroup(): Promise<boolean> {
    const runnables = this.#groups.get("leaderElection")!;
    const runLeaderWork = async (signal: AbortSignal, options: StartOptions = {}) => {
      const running = runnables.map((r) =>
        r.start(signal, options).catch((err) => {
          this.#log.error("leader-only runnable failed; stopping", { err });
          this.stop();
        })
      );
      await aborted(signal);
      const lost = signal.reason instanceof LeaderElectionLostError ||
        options.abortNow?.aborted === true;
      const ms = lost ? 0 : this.#o.gracefulShutdownTimeoutMs ?? 30_000;
      const outcome = await withDeadline(() => Promise.all(running), {
        timeoutMs: ms,
        clock: this.#clock,
        ...(options.abortNow === undefined ? {} : { signal: options.abortNow }),
      });
      if (outcome.type === "timeout") {
        this.#log.warn(`leader-only work did not stop within ${ms} ms; going on`);
      }
      if (outcome.type === "cut") this.#log.warn("leader-only work told to stop at once; going on");
    };
    const le = this.#o.leaderElection;
    if (le === undefined) {
      await runLeaderWork(this.#stop.signal);
      return false;
    }
    let lock = le.lock;
    if (lock === undefined) {
      if (this.#o.client === undefined || le.namespace === undefined || le.name === undefined) {
        throw new TypeError(
          "Cannot elect a leader: give a lock, or a client with namespace and name",
        );
      }
      lock = new LeaseLock(this.#o.client, {
        namespace: le.namespace,
        name: le.name,
        ...(le.identity === undefined ? {} : { identity: le.identity }),
        clock: this.#clock,
      });
    }
    const name = le.name ?? lock.describe();
    this.#elector = new LeaderElector(lock, {
      ...(le.leaseDurationMs === undefined ? {} : { leaseDurationMs: le.leaseDurationMs }),
      ...(le.renewDeadlineMs === undefined ? {} : { renewDeadlineMs: le.renewDeadlineMs }),
      ...(le.retryPeriodMs === undefined ? {} : { retryPeriodMs: le.retryPeriodMs }),
      name,
      clock: this.#clock,
      onLeadingChange: this.metrics.leaderStatus(name),
      onStartedLeading: runLeaderWork,
    });
    const outcome = await this.#elector.run(this.#stop.signal);
    return outcome.type === "lost";
  }

  /** Keeps webhooks serving until `webhookDrainMs` after the stop began (or they ended). */
  async #drainWebhooks(running: Promise<unknown>): Promise<void> {
    const drainMs = this.#o.webhookDrainMs ?? 0;
    const leftMs = (this.#stoppingAt ?? this.#clock.now()) + drainMs - this.#clock.now();
    if (drainMs <= 0 || leftMs <= 0) return;
    this.#log.info("webhooks keep serving while endpoints drain", { drainMs, leftMs });
    await withDeadline(() => running, { timeoutMs: leftMs, clock: this.#clock });
  }
}
