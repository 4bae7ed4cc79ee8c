/**
 * The fault suite's harness: Vigil as two real, supervised processes (the
 * binary's permission flags, leader election on with its default timings,
 * scoped to one namespace), and a monitor that watches, throughout a
 * scenario, both processes' `leader_election_master_status` and
 * `controller_runtime_reconcile_total` and the Lease itself.
 *
 * The supervisor plays the kubelet: a process that exits without the test
 * asking is started again (after 1 s, as a first CrashLoopBackOff step), and
 * the exit is recorded so that a scenario can say which exits it expects —
 * a leader that cannot renew its Lease exits 1 by design.
 *
 * @module
 */
import { KubeClient, loadKubeConfig } from "../../src/kube/mod.ts";
import { Informer, type KubeObject } from "../../src/runtime/mod.ts";
import type { Logger } from "../../src/observability/log.ts";
import type { SharedPlane } from "../support/shared_plane.ts";
import { logRecords } from "../support/vigil_process.ts";
import { type ScopedVigil, startScopedVigil, writeCounts } from "../cluster/controller/_helpers.ts";

/** The harness's own Lease watch retries through every fault; its lines are noise. */
const QUIET: Logger = {
  name: "fault-harness",
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => QUIET,
};

/** How often the monitor samples both processes. */
const SAMPLE_MS = 100;

/** One run of one replica, from start to exit. */
export interface Incarnation {
  readonly replica: string;
  readonly vigil: ScopedVigil;
  readonly startedAt: number;
  /** Set once it exited; `planned` when the test stopped or killed it. */
  exit?: { code: number; at: number; planned: boolean };
}

/** A sample of one process. */
interface ProcessSample {
  readonly at: number;
  /** `leader_election_master_status`, undefined when /metrics did not answer. */
  readonly master: number | undefined;
  readonly reconciles: number | undefined;
}

/** One change of the Lease's holder as the watch delivered it. */
export interface LeaseChange {
  readonly at: number;
  readonly holder: string;
}

/** Options of {@link VigilPair.start}. */
export interface PairOptions {
  /** The kubeconfig Vigil uses (e.g. through a proxy); default the plane's. */
  readonly kubeconfig?: string;
  /** More `vigil run` flags. */
  readonly extraArgs?: readonly string[];
  /**
   * Flags of one replica only, after `extraArgs` (later flags win): the
   * monitor's own test gives replica b a Lease of its own.
   */
  readonly replicaArgs?: Readonly<Partial<Record<"a" | "b", readonly string[]>>>;
  /** How many replicas {@link VigilPair.start} waits to see leading; default 1. */
  readonly leaders?: 1 | 2;
}

/** Two supervised Vigil processes on one namespace, and what was seen of their leadership. */
export class VigilPair {
  readonly #plane: SharedPlane;
  readonly #namespace: string;
  readonly #options: PairOptions;
  /** Every incarnation, in start order. */
  readonly incarnations: Incarnation[] = [];
  readonly #current = new Map<string, Incarnation>();
  readonly #planned = new Set<Incarnation>();
  readonly #samples = new Map<Incarnation, ProcessSample[]>();
  /** Lease holder changes, in the order the watch delivered them. */
  readonly leaseChanges: LeaseChange[] = [];
  readonly #stopping = new AbortController();
  readonly #restarts = new Set<Promise<void>>();
  #sampling: Promise<void> | undefined;
  #leaseWatch: Promise<void> | undefined;
  /** Samples where both processes reported master status 1 (must stay empty). */
  readonly twoLeaders: Array<{ at: number; replicas: string[] }> = [];

  private constructor(plane: SharedPlane, namespace: string, options: PairOptions) {
    this.#plane = plane;
    this.#namespace = namespace;
    this.#options = options;
  }

  /**
   * Starts replicas `a` and `b`, the Lease watch and the sampler; resolves
   * once one leads (or as many as `options.leaders` says).
   */
  static async start(
    plane: SharedPlane,
    namespace: string,
    options: PairOptions = {},
  ): Promise<VigilPair> {
    const pair = new VigilPair(plane, namespace, options);
    await pair.#watchLease();
    try {
      await pair.#launch("a");
      await pair.#launch("b");
      pair.#sampling = pair.#sample();
      await pair.leaders(options.leaders ?? 1, 120_000);
    } catch (err) {
      await pair.stop();
      throw err;
    }
    return pair;
  }

  /** The Lease's name (startScopedVigil's `--leader-election-id`). */
  get leaseName(): string {
    return `vigil-${this.#namespace}`;
  }

  /** The running incarnation of replica `name`, if any. */
  current(name: string): Incarnation | undefined {
    return this.#current.get(name);
  }

  /** Resolves with the replica whose process reports master status 1, once exactly one does. */
  async leader(timeoutMs = 60_000): Promise<Incarnation> {
    return (await this.leaders(1, timeoutMs))[0]!;
  }

  /** Resolves with the replicas whose processes report master status 1, once exactly `n` do. */
  async leaders(n: number, timeoutMs = 60_000): Promise<Incarnation[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const states = await Promise.all([...this.#current.values()].map(async (inc) => ({
        inc,
        master: (await scrape(inc)).master,
      })));
      const leaders = states.filter((s) => s.master === 1);
      if (leaders.length === n) return leaders.map((s) => s.inc);
      await delay(SAMPLE_MS);
    }
    throw new Error(
      `Cannot observe exactly ${n} leader(s) within ${timeoutMs} ms\n${this.summary()}`,
    );
  }

  /** The running replica that is not `inc`'s. */
  other(inc: Incarnation): Incarnation {
    const other = [...this.#current.values()].find((i) => i.replica !== inc.replica);
    if (other === undefined) throw new Error(`No replica runs beside ${inc.replica}`);
    return other;
  }

  /** SIGTERMs `inc` (a planned exit, not restarted) and resolves with its exit code. */
  async terminate(inc: Incarnation): Promise<number> {
    this.#planned.add(inc);
    return await inc.vigil.stop();
  }

  /**
   * SIGKILLs `inc`; unless `restart` is false, the supervisor starts the
   * replica again, as a kubelet would (else {@link relaunch} does, later).
   */
  async kill(inc: Incarnation, restart = true): Promise<void> {
    this.#planned.add(inc);
    await inc.vigil.kill();
    if (restart) this.#restart(inc.replica);
  }

  /** Starts replica `name` again after {@link terminate}; resolves once it is ready. */
  async relaunch(name: string): Promise<Incarnation> {
    return await this.#launch(name);
  }

  /** Unplanned exits so far (a process that died without the test asking). */
  unplannedExits(): Array<{ replica: string; code: number }> {
    return this.incarnations.filter((i) => i.exit !== undefined && !i.exit.planned)
      .map((i) => ({ replica: i.replica, code: i.exit!.code }));
  }

  /** Waits until the supervisor's restarts (if any) are done. */
  async settled(): Promise<void> {
    while (this.#restarts.size > 0) await Promise.all([...this.#restarts]);
  }

  /**
   * Non-Lease writes (POST, PATCH, DELETE) each running process made so far,
   * summed. The Lease lock is Vigil's only user of PUT (src/runtime/lease_lock.ts),
   * and it creates the Lease with POST only when none exists, so this
   * counts the reconciler's and the event recorder's writes.
   */
  async writes(): Promise<number> {
    let sum = 0;
    for (const inc of this.#current.values()) {
      const counts = await writeCounts(inc.vigil.vigil.metricsPort!);
      sum += (counts.POST ?? 0) + (counts.PATCH ?? 0) + (counts.DELETE ?? 0);
    }
    return sum;
  }

  /**
   * Processes whose `controller_runtime_reconcile_total` rose between two
   * samples in which they reported master status 0 (it must stay empty: a
   * standby never reconciles).
   */
  reconcilesWhileStandby(): Array<{ replica: string; from: number; to: number }> {
    const out: Array<{ replica: string; from: number; to: number }> = [];
    for (const [inc, samples] of this.#samples) {
      for (let i = 1; i < samples.length; i++) {
        const a = samples[i - 1]!;
        const b = samples[i]!;
        if (a.reconciles === undefined || b.reconciles === undefined) continue;
        if (b.reconciles > a.reconciles && a.master === 0 && b.master === 0) {
          out.push({ replica: inc.replica, from: a.at, to: b.at });
        }
      }
    }
    return out;
  }

  /** The first moment after `since` that the process of `inc` reported master status 1. */
  becameLeaderAt(inc: Incarnation, since: number): number | undefined {
    return (this.#samples.get(inc) ?? []).find((s) => s.at >= since && s.master === 1)?.at;
  }

  /** The first Lease change after `since` to a holder other than `identity` and `""`. */
  leaseTakenAt(since: number, notBy: string): LeaseChange | undefined {
    return this.leaseChanges.find((c) => c.at >= since && c.holder !== "" && c.holder !== notBy);
  }

  /** Identities every incarnation logged (from its leader-election log lines). */
  identities(): Map<string, Incarnation> {
    const out = new Map<string, Incarnation>();
    for (const inc of this.incarnations) {
      const id = identityOfIncarnation(inc);
      if (id !== undefined) out.set(id, inc);
    }
    return out;
  }

  /**
   * Problems with leadership seen so far: two leaders in one sample, a
   * standby that reconciled, a Lease holder that is none of our processes.
   */
  leadershipProblems(): string[] {
    const problems: string[] = [];
    for (const t of this.twoLeaders) {
      problems.push(`two processes reported master status 1 at ${t.at}: ${t.replicas.join(", ")}`);
    }
    for (const r of this.reconcilesWhileStandby()) {
      problems.push(`replica ${r.replica} reconciled as a standby between ${r.from} and ${r.to}`);
    }
    const ids = this.identities();
    for (const c of this.leaseChanges) {
      if (c.holder !== "" && !ids.has(c.holder)) {
        problems.push(`the Lease named ${c.holder}, none of the processes`);
      }
    }
    const samples = [...this.#samples.values()].reduce((n, s) => n + s.length, 0);
    if (samples < 10) problems.push(`only ${samples} samples of the processes' metrics`);
    return problems;
  }

  /** A short account of the processes and the Lease, for failure messages. */
  summary(): string {
    const lines = this.incarnations.map((i) =>
      `${i.replica}@${i.startedAt}: ${identityOfIncarnation(i) ?? "?"} exit=${
        JSON.stringify(i.exit ?? null)
      }`
    );
    lines.push(`lease: ${JSON.stringify(this.leaseChanges.slice(-10))}`);
    return lines.join("\n");
  }

  /** The last log lines of every incarnation, or of those `which` picks. */
  logs(lines = 40, which: (i: Incarnation) => boolean = () => true): string {
    return this.incarnations.filter(which).map((i) =>
      `--- ${i.replica}@${i.startedAt} exit=${JSON.stringify(i.exit ?? null)} ---\n` +
      i.vigil.vigil.lines.slice(-lines).join("\n")
    ).join("\n");
  }

  /** Stops everything (SIGTERM, planned); safe to call twice. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await Promise.allSettled([...this.#restarts]);
    for (const inc of [...this.#current.values()]) {
      this.#planned.add(inc);
      await inc.vigil.stop().catch(() => inc.vigil.kill());
    }
    await this.#sampling;
    await this.#leaseWatch;
  }

  async #launch(name: string): Promise<Incarnation> {
    const vigil = await startScopedVigil(this.#plane, this.#namespace, {
      ...(this.#options.kubeconfig === undefined ? {} : { kubeconfig: this.#options.kubeconfig }),
      extraArgs: [
        ...this.#options.extraArgs ?? [],
        ...this.#options.replicaArgs?.[name as "a" | "b"] ?? [],
      ],
    });
    const inc: Incarnation = { replica: name, vigil, startedAt: Date.now() };
    this.incarnations.push(inc);
    this.#current.set(name, inc);
    this.#samples.set(inc, []);
    vigil.vigil.child.status.then((status) => {
      const planned = this.#planned.has(inc);
      inc.exit = { code: status.code, at: Date.now(), planned };
      if (this.#current.get(name) === inc) this.#current.delete(name);
      if (!planned) this.#restart(name);
    });
    return inc;
  }

  /** Starts replica `name` again after 1 s, retrying while it cannot become ready. */
  #restart(name: string): void {
    if (this.#stopping.signal.aborted) return;
    const restarting = (async () => {
      for (let attempt = 0; !this.#stopping.signal.aborted; attempt++) {
        await delay(Math.min(1_000 * 2 ** attempt, 10_000));
        if (this.#stopping.signal.aborted) return;
        try {
          await this.#launch(name);
          return;
        } catch {
          // Not ready in time (the apiserver may still be away): try again.
        }
      }
    })();
    this.#restarts.add(restarting);
    restarting.finally(() => this.#restarts.delete(restarting));
  }

  async #sample(): Promise<void> {
    while (!this.#stopping.signal.aborted) {
      const at = Date.now();
      const running = [...this.#current.values()];
      const samples = await Promise.all(running.map(scrape));
      const masters: string[] = [];
      running.forEach((inc, i) => {
        const s = { at, ...samples[i]! };
        this.#samples.get(inc)?.push(s);
        if (s.master === 1) masters.push(inc.replica);
      });
      if (masters.length > 1) this.twoLeaders.push({ at, replicas: masters });
      await delay(SAMPLE_MS);
    }
  }

  async #watchLease(): Promise<void> {
    const client = new KubeClient(
      (await loadKubeConfig({ kubeconfigPath: this.#plane.kubeconfigPath })).kubeConfig,
    );
    const informer = new Informer<KubeObject>(client, {
      group: "coordination.k8s.io",
      version: "v1",
      plural: "leases",
      namespaced: true,
      kind: "Lease",
    }, {
      namespace: this.#namespace,
      fieldSelector: `metadata.name=${this.leaseName}`,
      log: QUIET,
    });
    const record = (o: KubeObject) => {
      const holder = (o as { spec?: { holderIdentity?: string } }).spec?.holderIdentity ?? "";
      if (this.leaseChanges.at(-1)?.holder !== holder) {
        this.leaseChanges.push({ at: Date.now(), holder });
      }
    };
    informer.addEventHandler({ onAdd: record, onUpdate: (_o, n) => record(n) });
    this.#leaseWatch = informer.start(this.#stopping.signal);
    await informer.waitForSync(this.#stopping.signal);
  }
}

/** The identity an incarnation's leader election logs. */
export function identityOfIncarnation(inc: Incarnation): string | undefined {
  for (const r of logRecords(inc.vigil.vigil.lines)) {
    if (typeof r.identity === "string" && r.identity !== "") return r.identity;
  }
  return undefined;
}

async function scrape(inc: Incarnation): Promise<Omit<ProcessSample, "at">> {
  if (inc.exit !== undefined) return { master: undefined, reconciles: undefined };
  try {
    const res = await fetch(`http://127.0.0.1:${inc.vigil.vigil.metricsPort}/metrics`, {
      signal: AbortSignal.timeout(2_000),
    });
    const text = await res.text();
    const master = text.match(/^leader_election_master_status\{[^}]*\} (\d)/m)?.[1];
    let reconciles = 0;
    for (const m of text.matchAll(/^controller_runtime_reconcile_total\{[^}]*\} ([0-9.e+]+)$/gm)) {
      reconciles += Number(m[1]);
    }
    return { master: master === undefined ? undefined : Number(master), reconciles };
  } catch {
    return { master: undefined, reconciles: undefined };
  }
}

/** A fixed wait, only for pacing loops. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
