/**
 * Load: N Databases (default 1,000, 1 replica, 1Gi), then M minutes
 * (default 10) of 30 spec changes a second spread over them — replicas
 * 1 ↔ 2, a config value, storage growth by 1Gi, in turn — against one
 * `vigil run` (leader election off) on a plane of its own.
 *
 * Reports: time to converge the N; over the change phase Vigil's queue
 * depth (`workqueue_depth`, sampled every 5 s, max and mean per 30 s), the
 * p50/p90/p99/max time from a change's PATCH to a Database status whose
 * `observedGeneration` reaches the change's generation (seen through a
 * watch), Vigil's RSS every 30 s and its least-squares slope after the
 * first minute, and errors: failed PATCHes, changes never observed, and
 * Vigil's reconcile errors (`controller_runtime_reconcile_errors_total`)
 * and error log lines. Exits 1 when there are errors. Also, per change
 * sent: Vigil's reconciles and write requests over the change phase, with
 * the mean reconcile time and queue wait, which say whether its workers or
 * the plane set the pace.
 *
 * Floor, first, on a plane of its own with no operator and no webhook: the
 * same N Databases with the objects Vigil builds for them (`desiredState`)
 * created directly, then the same change stream, where a plain client
 * follows each change's PATCH with the writes Vigil makes for it — the
 * ConfigMap then the StatefulSet for a config value, the StatefulSet and
 * the PodDisruptionBudget for replicas, each claim for storage — and then
 * the Database's `status.observedGeneration`. One change in flight per
 * Database in both runs. Its percentiles are what the plane allows this
 * load; Vigil's are printed as ratios to them.
 *
 * Usage: `deno task bench load -- [--databases=N] [--minutes=M] [--rate=R]
 * [--workers=W] [--floor=0]` (e.g. `-- --databases=100 --minutes=2` for a
 * short run; `--workers` is passed as `--max-concurrent-reconciles`,
 * default Vigil's; `--floor=0` skips the floor).
 */
import { type Plane, startPlane } from "../support/plane.ts";
import { installDatabaseCrd } from "../support/database_crd.ts";
import { logRecords, startVigil } from "../support/vigil_process.ts";
import { generateSelfSigned, writeCertDirectory } from "../../src/webhook/mod.ts";
import { InvalidError, KubeClient, loadKubeConfig, NotFoundError } from "../../src/kube/mod.ts";
import { Informer, type KubeObject, resourcePath, stableJson } from "../../src/runtime/mod.ts";
import { DatabaseV1Schema, defaultVersion } from "../../src/database/mod.ts";
import {
  DATA_CLAIM_TEMPLATE,
  desiredState,
  generatePassword,
  objectNames,
} from "../../src/controller/desired/mod.ts";
import { Applier, resourceFor, withAppliedHash } from "../../src/controller/apply/mod.ts";
import { DATABASE_RESOURCE } from "../../src/controller/mod.ts";

const OPTIONS = ["databases", "minutes", "rate", "workers", "floor"];

/** `--name=value` arguments; anything else is refused, naming what is accepted. */
function option(name: string, fallback: number): number;
function option(name: string, fallback?: number): number | undefined;
function option(name: string, fallback?: number): number | undefined {
  for (const arg of Deno.args) {
    const m = arg.match(/^--([a-z]+)=(.*)$/);
    if (m === null || !OPTIONS.includes(m[1]!)) {
      console.error(
        `load_bench: unknown argument "${arg}" (accepted: --databases=N --minutes=M --rate=R ` +
          `--workers=W --floor=0|1)`,
      );
      Deno.exit(2);
    }
    if (m[1] !== name) continue;
    const value = Number(m[2]);
    if (name === "floor" ? value !== 0 && value !== 1 : !(value > 0)) {
      console.error(
        `load_bench: --${name}=${m[2]} is not ${name === "floor" ? "0 or 1" : "a positive number"}`,
      );
      Deno.exit(2);
    }
    return value;
  }
  return fallback;
}
const N = option("databases", 1_000);
const MINUTES = option("minutes", 10);
const RATE = option("rate", 30);
const WORKERS = option("workers");
const FLOOR = option("floor", 1) === 1;
const NAMESPACE = "load";
const IN_FLIGHT = 32;
const RSS_EVERY_MS = 30_000;
const DEPTH_EVERY_MS = 5_000;
const DRAIN_MS = 180_000;
// 110 pods fit on a kwok node, and every Database may run 2 replicas.
const NODES = Math.max(3, Math.ceil((2 * N) / 100) + 1);
const NAMES = Array.from({ length: N }, (_, i) => `db-${i}`);
const DATABASES = `/apis/vigil.dev/v1/namespaces/${NAMESPACE}/databases`;

type Spec = Record<string, unknown>;

interface Db {
  metadata: { name: string; generation?: number };
  status?: {
    observedGeneration?: number;
    conditions?: Array<{ type: string; status: string }>;
  };
}

/** `getconf CLK_TCK`: 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** Appends `value` to the list under `key`. */
function pushTo<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1]) / 1024;
}

/** Each process's command name and CPU seconds (user + system), from `/proc/<pid>/stat`. */
function processCpu(): Map<number, { name: string; seconds: number }> {
  const out = new Map<number, { name: string; seconds: number }>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry.name)) continue;
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
    } catch {
      continue; // exited meanwhile
    }
    // The command name is in parentheses and may hold spaces; fields follow it.
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    let name = stat.slice(stat.indexOf("(") + 1, close);
    if (name === "vigil-plane") {
      // The plane's one binary runs every component: name it by its first argument.
      try {
        name = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).split("\0")[1] ?? name;
      } catch {
        continue;
      }
    }
    out.set(Number(entry.name), {
      name,
      seconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
    });
  }
  return out;
}

/** The machine's busy and total CPU ticks so far, from `/proc/stat`. */
function machineTicks(): { busy: number; total: number } {
  const line = Deno.readTextFileSync("/proc/stat").split("\n")[0]!;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  // idle and iowait are the 4th and 5th.
  return { busy: total - ticks[3]! - ticks[4]!, total };
}

interface CpuReading {
  readonly at: number;
  readonly machine: { busy: number; total: number };
  readonly processes: Map<number, { name: string; seconds: number }>;
}

function readCpu(): CpuReading {
  return { at: performance.now(), machine: machineTicks(), processes: processCpu() };
}

/**
 * What the whole machine and its busiest processes (by command name; Vigil
 * and this bench, both `deno`, by pid) spent on CPU since `start`.
 */
function describeCpu(start: CpuReading, changes: number, vigilPid?: number): string {
  const seconds = (performance.now() - start.at) / 1000;
  const machine = machineTicks();
  const busy = (machine.busy - start.machine.busy) / (machine.total - start.machine.total);
  const byName = new Map<string, number>();
  for (const [pid, now] of processCpu()) {
    const spent = now.seconds - (start.processes.get(pid)?.seconds ?? 0);
    const name = pid === vigilPid ? "vigil" : pid === Deno.pid ? "bench" : now.name;
    byName.set(name, (byName.get(name) ?? 0) + spent);
  }
  const vigil = byName.get("vigil");
  const top = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 7)
    .map(([name, s]) => `${name} ${(100 * s / seconds).toFixed(0)}%`).join(", ");
  return `CPU over the change phase: machine ${
    (100 * busy).toFixed(0)
  }% busy over ${navigator.hardwareConcurrency} cores; by process, % of one core: ${top}` +
    (vigil === undefined
      ? ""
      : `; vigil ${(1000 * vigil / Math.max(changes, 1)).toFixed(1)} ms per change`);
}

function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}

/** Sum of the samples of `name` whose labels include any of `labels` (`key="value"`). */
function labelledSum(text: string, name: string, labels: readonly string[]): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const set = line.slice(name.length, line.lastIndexOf("}") + 1);
    if (labels.some((l) => set.includes(l))) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/**
 * What Vigil did per change between two scrapes: reconciles, write requests,
 * mean reconcile time and mean queue wait.
 */
function perChange(before: string, after: string, changes: number): string {
  const delta = (name: string) => metricSum(after, name) - metricSum(before, name);
  const writes = (text: string) =>
    labelledSum(text, "rest_client_requests_total", [
      'method="POST"',
      'method="PUT"',
      'method="PATCH"',
      'method="DELETE"',
    ]);
  const reconciles = delta("controller_runtime_reconcile_time_seconds_count");
  const waits = delta("workqueue_queue_duration_seconds_count");
  return `per change: ${(reconciles / changes).toFixed(2)} reconciles, ${
    ((writes(after) - writes(before)) / changes).toFixed(2)
  } writes; mean reconcile ${
    (delta("controller_runtime_reconcile_time_seconds_sum") / reconciles * 1000).toFixed(0)
  } ms, mean queue wait ${
    (delta("workqueue_queue_duration_seconds_sum") / waits).toFixed(1)
  } s over ${reconciles} reconciles`;
}

/**
 * Vigil's requests the API server refused between two scrapes, by status code
 * (`rest_client_requests_total`): a conflict is part of optimistic
 * concurrency, but every refusal is a request spent for nothing.
 */
function refusedRequests(before: string, after: string): string {
  const byCode = (text: string) => {
    const counts = new Map<string, number>();
    for (const line of text.split("\n")) {
      const code = line.startsWith("rest_client_requests_total{")
        ? line.match(/code="(4\d\d|5\d\d)"/)?.[1]
        : undefined;
      if (code !== undefined) {
        counts.set(code, (counts.get(code) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
      }
    }
    return counts;
  };
  const was = byCode(before);
  const refused = [...byCode(after)].map(([code, n]) => [code, n - (was.get(code) ?? 0)] as const)
    .filter(([, n]) => n > 0).sort(([a], [b]) => a.localeCompare(b));
  return `Vigil's requests refused by the API server: ${
    refused.length === 0 ? "none" : refused.map(([code, n]) => `${code} ×${n}`).join(", ")
  }`;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Least-squares slope of (x, y) points. */
function slope(points: ReadonlyArray<[number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return num / den;
}

/** Resolves once `n` distinct names were marked. */
class Countdown {
  readonly #done = new Set<string>();
  readonly #all: Promise<void>;
  #resolve!: () => void;
  constructor(private readonly n: number) {
    this.#all = new Promise<void>((r) => this.#resolve = r);
  }
  mark(name: string): void {
    this.#done.add(name);
    if (this.#done.size === this.n) this.#resolve();
  }
  all(): Promise<void> {
    return this.#all;
  }
}

/**
 * Follows the Databases through a watch: a change resolves when a status
 * with `observedGeneration` at or past its generation is seen.
 */
class Observer {
  readonly latencies: number[] = [];
  /** The same by what the change was (replicas, config, storage). */
  readonly latenciesByKind = new Map<string, number[]>();
  /** The same by when the change was sent, in 15 s windows from the first. */
  readonly latenciesByWindow = new Map<number, number[]>();
  #firstSent: number | undefined;
  /** How long each change's PATCH took to be answered (admission included). */
  readonly patchMs: number[] = [];
  readonly #pending = new Map<string, Pending[]>();
  /** The newest `observedGeneration` seen per Database, for a status seen before its change was expected. */
  readonly #observed = new Map<string, number>();
  readonly #informer: Informer<KubeObject>;
  /** Resolves a {@link drain} waiting for the last expected change. */
  #drained: (() => void) | undefined;

  constructor(client: KubeClient, ready?: Countdown) {
    this.#informer = new Informer<KubeObject>(client, DATABASE_RESOURCE, { namespace: NAMESPACE });
    const seen = (o: KubeObject) => {
      const db = o as unknown as Db;
      const name = db.metadata.name;
      if (db.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) {
        ready?.mark(name);
      }
      const observed = db.status?.observedGeneration ?? 0;
      this.#observed.set(name, Math.max(observed, this.#observed.get(name) ?? 0));
      const waiting = this.#pending.get(name);
      if (waiting !== undefined) this.#settle(name, waiting, observed);
    };
    this.#informer.addEventHandler({ onAdd: seen, onUpdate: (_o, n) => seen(n) });
  }

  /** Starts the watch; resolves once synced, with the watch's own promise wrapped (not adopted). */
  async start(signal: AbortSignal): Promise<{ running: Promise<void> }> {
    const running = this.#informer.start(signal);
    await this.#informer.waitForSync(signal);
    return { running };
  }

  /** A change of `kind` PATCHed at `sent` that made `generation`. */
  expect(name: string, generation: number, sent: number, kind: string): void {
    this.patchMs.push(performance.now() - sent);
    this.#firstSent ??= sent;
    const waiting = [...this.#pending.get(name) ?? [], { generation, sent, kind }];
    this.#pending.set(name, waiting);
    this.#settle(name, waiting, this.#observed.get(name) ?? 0);
  }

  /** Waits up to `ms` for every expected change; resolves with how many were never seen. */
  async drain(ms: number): Promise<number> {
    if (this.#pending.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((r) => this.#drained = r),
        new Promise<void>((r) => timer = setTimeout(r, ms)),
      ]);
      clearTimeout(timer);
    }
    return [...this.#pending.values()].reduce((n, l) => n + l.length, 0);
  }

  /** Up to `n` changes still unobserved: the Database, the generation awaited, the newest observed. */
  unobserved(n: number): string {
    return [...this.#pending].slice(0, n).map(([name, waiting]) =>
      `${name} awaits ${waiting.map((w) => w.generation).join(",")}, observed ${
        this.#observed.get(name) ?? 0
      }`
    ).join("; ");
  }

  /** Up to `n` Databases with a change still unobserved. */
  pendingNames(n: number): string[] {
    return [...this.#pending.keys()].slice(0, n);
  }

  #settle(name: string, waiting: Pending[], observed: number) {
    const now = performance.now();
    const left = waiting.filter((w) => {
      if (w.generation > observed) return true;
      this.latencies.push(now - w.sent);
      pushTo(this.latenciesByKind, w.kind, now - w.sent);
      const window = Math.floor((w.sent - (this.#firstSent ?? w.sent)) / 15_000) * 15;
      pushTo(this.latenciesByWindow, window, now - w.sent);
      return false;
    });
    if (left.length === 0) this.#pending.delete(name);
    else this.#pending.set(name, left);
    if (this.#pending.size === 0) this.#drained?.();
  }
}

interface Pending {
  readonly generation: number;
  readonly sent: number;
  /** What the change was: replicas, config or storage. */
  readonly kind: string;
}

interface ChangeStats {
  sent: number;
  skipped: number;
  errors: number;
  firstErrors: string[];
}

/**
 * Sends RATE changes a second for MINUTES, in turn replicas 1 ↔ 2, a config
 * value and storage growth by 1Gi, each to a random Database with none in
 * flight; `follow` (the floor's own writes) runs after each PATCH.
 */
async function driveChanges(
  client: KubeClient,
  observer: Observer,
  follow?: (db: KubeObject, spec: Spec) => Promise<void>,
): Promise<ChangeStats> {
  const state = new Map(NAMES.map((n) => [n, { replicas: 1, storageGi: 1, config: 0 }]));
  const stats: ChangeStats = { sent: 0, skipped: 0, errors: 0, firstErrors: [] };
  const inFlight = new Set<Promise<void>>();
  const busy = new Set<string>();
  const start = performance.now();
  let due = start;
  for (let i = 0; performance.now() - start < MINUTES * 60_000; i++) {
    due += 1_000 / RATE;
    // One change in flight per Database: two in flight could land out of order (a
    // storage size after a larger one is a shrink, which the CRD refuses).
    let name = NAMES[Math.floor(Math.random() * N)]!;
    for (let tries = 0; busy.has(name) && tries < N; tries++) {
      name = NAMES[Math.floor(Math.random() * N)]!;
    }
    if (busy.has(name)) {
      stats.skipped++;
      await delay(Math.max(0, due - performance.now()));
      continue;
    }
    busy.add(name);
    const s = state.get(name)!;
    let spec: Spec;
    switch (i % 3) {
      case 0:
        s.replicas = s.replicas === 1 ? 2 : 1;
        spec = { replicas: s.replicas };
        break;
      case 1:
        s.config++;
        spec = { config: { max_connections: String(100 + (s.config % 100)) } };
        break;
      default:
        s.storageGi++;
        spec = { storageSize: `${s.storageGi}Gi` };
    }
    const sent = performance.now();
    const change = (async () => {
      const db = await client.request<KubeObject>("PATCH", `${DATABASES}/${name}`, {
        contentType: "application/merge-patch+json",
        body: { spec },
      });
      stats.sent++;
      observer.expect(name, db.metadata?.generation ?? 0, sent, Object.keys(spec)[0]!);
      await follow?.(db, spec);
    })().catch((err) => {
      stats.errors++;
      if (stats.firstErrors.length < 3) stats.firstErrors.push(String(err));
    });
    inFlight.add(change);
    change.finally(() => {
      inFlight.delete(change);
      busy.delete(name);
    });
    await delay(Math.max(0, due - performance.now()));
  }
  await Promise.all([...inFlight]);
  return stats;
}

async function createDatabases(
  client: KubeClient,
  then?: (db: KubeObject) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < N) {
      const name = NAMES[next++]!;
      const db = await client.request<KubeObject>("POST", DATABASES, {
        body: {
          apiVersion: "vigil.dev/v1",
          kind: "Database",
          metadata: { name },
          spec: { engine: "postgres", version: "17.5", replicas: 1, storageSize: "1Gi" },
        },
      });
      await then?.(db);
    }
  }));
}

interface Latencies {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

function latencyFigures(latencies: readonly number[]): Latencies {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? NaN,
  };
}

function describeChanges(stats: ChangeStats, observer: Observer): string {
  const l = latencyFigures(observer.latencies);
  const p = latencyFigures(observer.patchMs);
  const observed = observer.latencies.length;
  return `changes: ${stats.sent} sent in ${MINUTES} min (${
    (stats.sent / (MINUTES * 60)).toFixed(1)
  }/s), ${observed} observed, ${stats.skipped} not sent (every Database had a change in flight)\n` +
    `change → observedGeneration: p50 ${l.p50.toFixed(0)} ms, p90 ${l.p90.toFixed(0)} ms, ` +
    `p99 ${l.p99.toFixed(0)} ms, max ${l.max.toFixed(0)} ms (of which the PATCH: p50 ${
      p.p50.toFixed(0)
    } ms, p99 ${p.p99.toFixed(0)} ms)\n` +
    "by change: " + [...observer.latenciesByKind].map(([kind, ls]) => {
      const k = latencyFigures(ls);
      return `${kind} p50 ${k.p50.toFixed(0)} ms, p99 ${k.p99.toFixed(0)} ms (${ls.length})`;
    }).join("; ") +
    "\nby when sent, per 15 s (p50/max s): " +
    [...observer.latenciesByWindow].sort((a, b) => a[0] - b[0]).map(([w, ls]) => {
      const k = latencyFigures(ls);
      return `${w}s ${(k.p50 / 1000).toFixed(1)}/${(k.max / 1000).toFixed(1)}`;
    }).join(", ");
}

async function newPlane(): Promise<{ plane: Plane; client: KubeClient }> {
  const plane = await startPlane({ nodes: NODES, readyTimeoutMs: 300_000 });
  await installDatabaseCrd(plane);
  await plane.kubectlOk(["create", "namespace", NAMESPACE]);
  const client = new KubeClient(
    (await loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath })).kubeConfig,
  );
  return { plane, client };
}

/**
 * The writes Vigil makes for a change, made by a plain client: each object of
 * `desiredState` that differs from what it last wrote (the ConfigMap before
 * the StatefulSet), the PodDisruptionBudget's removal, each claim's growth,
 * then the status.
 */
class FloorWriter {
  readonly #applier: Applier;
  readonly #written = new Map<string, string>();
  readonly #password = generatePassword();

  constructor(private readonly client: KubeClient) {
    this.#applier = new Applier(client);
  }

  /** The Database's objects, as Vigil would build them (the claim template keeps 1Gi). */
  #desired(created: KubeObject) {
    const db = DatabaseV1Schema.parse(created);
    const versioned = db.spec.version === undefined
      ? { ...db, spec: { ...db.spec, version: defaultVersion(db.spec.engine) } }
      : db;
    const state = desiredState(versioned, {
      password: this.#password,
      claimTemplateStorage: "1Gi",
    });
    return { db: versioned, apply: state.apply.map(withAppliedHash), remove: state.remove };
  }

  /** Creates what Vigil creates for a new Database. */
  async create(created: KubeObject): Promise<void> {
    const { apply } = this.#desired(created);
    for (const o of apply) {
      const resource = { ...resourceFor(o.apiVersion ?? "", o.kind ?? ""), kind: o.kind ?? "" };
      await this.client.request("POST", resourcePath(resource, { namespace: NAMESPACE }), {
        body: o,
      });
      this.#written.set(`${o.kind}/${o.metadata?.name}`, stableJson(o));
    }
  }

  /** Follows one change's PATCH (answered with `changed`). */
  async follow(changed: KubeObject, spec: Spec): Promise<void> {
    const { db, apply, remove } = this.#desired(changed);
    const differs = apply.filter((o) =>
      this.#written.get(`${o.kind}/${o.metadata?.name}`) !== stableJson(o)
    );
    // ConfigMap and PodDisruptionBudget first, the StatefulSet after.
    differs.sort((a, b) => Number(a.kind === "StatefulSet") - Number(b.kind === "StatefulSet"));
    for (const o of differs) {
      await this.#applier.apply(o);
      this.#written.set(`${o.kind}/${o.metadata?.name}`, stableJson(o));
    }
    for (const r of remove) {
      if (!this.#written.delete(`${r.kind}/${r.name}`)) continue;
      await this.#applier.delete({ ...r, namespace: NAMESPACE });
    }
    if (spec.storageSize !== undefined) {
      const sts = objectNames(db).statefulSet;
      for (let i = 0; i < 2; i++) {
        const claim = `${DATA_CLAIM_TEMPLATE}-${sts}-${i}`;
        await this.client.request(
          "PATCH",
          `/api/v1/namespaces/${NAMESPACE}/persistentvolumeclaims/${claim}`,
          {
            contentType: "application/merge-patch+json",
            body: { spec: { resources: { requests: { storage: spec.storageSize } } } },
          },
        ).catch((err) => {
          // Not there (never scaled up), or not bound yet (its size is still
          // immutable): Vigil grows only bound claims and leaves these too.
          if (!(err instanceof NotFoundError) && !(err instanceof InvalidError)) throw err;
        });
      }
    }
    await this.#applier.applyStatus(DATABASE_RESOURCE, {
      apiVersion: "vigil.dev/v1",
      kind: "Database",
      metadata: { name: db.metadata?.name ?? "", namespace: NAMESPACE },
      status: { observedGeneration: changed.metadata?.generation ?? 0 },
    });
  }
}

/**
 * A Database whose change Vigil never observed: its generation and status,
 * its StatefulSet and claims as stored, and Vigil's last log lines naming it.
 */
async function whyUnobserved(client: KubeClient, name: string, lines: string[]): Promise<string> {
  type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };
  const get = (path: string) => client.request<Obj>("GET", path).catch((e) => String(e));
  const db = await get(`${DATABASES}/${name}`);
  const sts = await get(`/apis/apps/v1/namespaces/${NAMESPACE}/statefulsets/${name}`);
  const claims = await client.request<{ items: Obj[] }>(
    "GET",
    `/api/v1/namespaces/${NAMESPACE}/persistentvolumeclaims`,
  );
  const brief = (o: Obj | string) =>
    typeof o === "string" ? o : JSON.stringify({
      generation: o.metadata?.generation,
      deletionTimestamp: o.metadata?.deletionTimestamp,
      finalizers: o.metadata?.finalizers,
      status: o.status,
    });
  const ownClaims = claims.items.filter((c) =>
    c.metadata?.name?.endsWith(`-${name}-0`) ||
    c.metadata?.name?.endsWith(`-${name}-1`)
  ).map((c) =>
    `${c.metadata?.name} ${
      JSON.stringify((c.spec?.resources as { requests?: unknown })?.requests)
    } ${JSON.stringify(c.status?.capacity)} ${c.status?.phase}`
  );
  const logs = logRecords(lines).filter((r) => {
    const text = JSON.stringify(r);
    return text.includes(`"${name}"`) || text.includes(`/${name}"`);
  }).slice(-5);
  return `unobserved ${name}:\n  database ${brief(db)}\n  statefulset ${brief(sts)}\n  claims ${
    ownClaims.join("; ")
  }\n  last log lines ${logs.map((r) => JSON.stringify(r)).join("\n    ")}`;
}

interface RunResult {
  readonly latencies: Latencies;
  readonly failed: boolean;
}

async function measureFloor(): Promise<RunResult> {
  const { plane, client } = await newPlane();
  const stop = new AbortController();
  try {
    const observer = new Observer(client);
    const { running: watching } = await observer.start(stop.signal);
    // Every StatefulSet with a ready replica, through a watch of its own.
    const ready = new Countdown(N);
    const statefulSets = new Informer<KubeObject>(
      client,
      { ...resourceFor("apps/v1", "StatefulSet"), kind: "StatefulSet" },
      { namespace: NAMESPACE },
    );
    const readyOf = (o: KubeObject) => {
      const status = (o as { status?: { readyReplicas?: number } }).status;
      if ((status?.readyReplicas ?? 0) >= 1) ready.mark(o.metadata?.name ?? "");
    };
    statefulSets.addEventHandler({ onAdd: readyOf, onUpdate: (_o, n) => readyOf(n) });
    const stsWatching = statefulSets.start(stop.signal);
    await statefulSets.waitForSync(stop.signal);
    const writer = new FloorWriter(client);
    const created = performance.now();
    await createDatabases(client, (db) => writer.create(db));
    await ready.all();
    console.log(
      `floor converged: ${N} StatefulSets ready in ${
        ((performance.now() - created) / 1000).toFixed(1)
      } s`,
    );
    const cpuStart = readCpu();
    const stats = await driveChanges(client, observer, (db, spec) => writer.follow(db, spec));
    const cpu = describeCpu(cpuStart, stats.sent);
    const unobserved = await observer.drain(DRAIN_MS);
    const latencies = latencyFigures(observer.latencies);
    console.log(describeChanges(stats, observer));
    console.log(cpu);
    console.log(
      `floor errors: ${stats.errors} failed changes${
        stats.firstErrors.length ? ` (${stats.firstErrors.join("; ")})` : ""
      }, ${unobserved} changes never observed within ${DRAIN_MS / 1000} s after` +
        (unobserved > 0 ? ` (${observer.unobserved(5)})` : ""),
    );
    stop.abort();
    await Promise.allSettled([watching, stsWatching]);
    return { latencies, failed: stats.errors + unobserved > 0 };
  } finally {
    stop.abort();
    await plane.stop();
  }
}

async function measureVigil(): Promise<RunResult> {
  const { plane, client } = await newPlane();
  const certDir = await Deno.makeTempDir({ prefix: "vigil-load-certs-" });
  const stop = new AbortController();
  let failed = false;
  try {
    await writeCertDirectory(certDir, await generateSelfSigned({ ipAddresses: ["127.0.0.1"] }));
    const vigil = startVigil({
      server: plane.server,
      kubeconfig: plane.kubeconfigPath,
      read: [certDir],
      args: [
        `--webhook-cert-dir=${certDir}`,
        `--namespace=${NAMESPACE}`,
        "--leader-elect=false",
        ...(WORKERS === undefined ? [] : [`--max-concurrent-reconciles=${WORKERS}`]),
      ],
    });
    const scrape = async () =>
      await (await fetch(`http://127.0.0.1:${vigil.metricsPort}/metrics`)).text();
    try {
      const ready = new Countdown(N);
      const observer = new Observer(client, ready);
      const { running: watching } = await observer.start(stop.signal);
      for (let i = 0; i < 1_200 && !(await scrape().then(() => true, () => false)); i++) {
        await delay(100);
      }

      // Phase 1: N Databases.
      const created = performance.now();
      await createDatabases(client);
      await ready.all();
      console.log(
        `converged: ${N} Databases Ready in ${((performance.now() - created) / 1000).toFixed(1)} s`,
      );

      // Phase 2: changes.
      const before = await scrape();
      const logErrorsBefore = logRecords(vigil.lines).filter((r) => r.level === "error").length;
      const depth: Array<[number, number]> = [];
      const rss: Array<[number, number]> = [[0, rssMiB(vigil.child.pid)]];
      const phaseStart = performance.now();
      const cpuStart = readCpu();
      const sampler = (async () => {
        let lastRss = 0;
        while (performance.now() - phaseStart < MINUTES * 60_000) {
          await delay(DEPTH_EVERY_MS);
          const t = (performance.now() - phaseStart) / 1000;
          depth.push([t, metricSum(await scrape(), "workqueue_depth")]);
          if (t * 1000 - lastRss >= RSS_EVERY_MS - 100) {
            rss.push([t, rssMiB(vigil.child.pid)]);
            lastRss = t * 1000;
          }
        }
      })();
      const stats = await driveChanges(client, observer);
      await sampler;
      const cpu = describeCpu(cpuStart, stats.sent, vigil.child.pid);
      const unobserved = await observer.drain(DRAIN_MS);
      const after = await scrape();
      const reconcileErrors = metricSum(after, "controller_runtime_reconcile_errors_total") -
        metricSum(before, "controller_runtime_reconcile_errors_total");
      const errorLines = logRecords(vigil.lines).filter((r) => r.level === "error");
      const logErrors = errorLines.length - logErrorsBefore;

      // Figures.
      const latencies = latencyFigures(observer.latencies);
      console.log(describeChanges(stats, observer));
      console.log(perChange(before, after, stats.sent));
      console.log(refusedRequests(before, after));
      console.log(cpu);
      const windows = new Map<number, number[]>();
      for (const [t, d] of depth) {
        const w = Math.floor(t / 30) * 30;
        pushTo(windows, w, d);
      }
      console.log(
        "queue depth per 30 s (max/mean): " +
          [...windows].map(([w, ds]) =>
            `${w}s ${Math.max(...ds)}/${(ds.reduce((a, b) => a + b, 0) / ds.length).toFixed(1)}`
          ).join(", "),
      );
      console.log(
        "RSS every 30 s (MiB): " +
          rss.map(([t, m]) => `${t.toFixed(0)}s ${m.toFixed(0)}`).join(", "),
      );
      const afterFirstMinute = rss.filter(([t]) => t >= 60).map(([t, m]) => [t / 60, m]) as Array<
        [number, number]
      >;
      console.log(
        `RSS slope after the first minute: ${
          slope(afterFirstMinute).toFixed(2)
        } MiB/min over ${afterFirstMinute.length} samples`,
      );
      console.log(
        `errors: ${stats.errors} failed PATCHes${
          stats.firstErrors.length ? ` (${stats.firstErrors.join("; ")})` : ""
        }, ${unobserved} changes never observed within ${DRAIN_MS / 1000} s after` +
          (unobserved > 0 ? ` (${observer.unobserved(5)})` : "") +
          `, ${reconcileErrors} reconcile errors, ${logErrors} error log lines` +
          (logErrors > 0 ? ` (first: ${JSON.stringify(errorLines.at(-logErrors))})` : ""),
      );
      for (const name of observer.pendingNames(3)) {
        console.log(await whyUnobserved(client, name, vigil.lines));
      }
      failed = stats.errors + unobserved + reconcileErrors + logErrors > 0;
      stop.abort();
      await watching;
      return { latencies, failed };
    } finally {
      stop.abort();
      const code = await vigil.stop();
      if (code !== 0) {
        console.log(`vigil exited ${code}:\n${vigil.lines.slice(-20).join("\n")}`);
        failed = true;
      }
    }
  } finally {
    await plane.stop();
    await Deno.remove(certDir, { recursive: true }).catch(() => {});
  }
}

console.log(
  `load: ${N} Databases, then ${MINUTES} min of ${RATE} spec changes/s, ${NODES} kwok nodes`,
);
let floor: RunResult | undefined;
if (FLOOR) {
  console.log("\n# floor: a plain client makes Vigil's writes for each change, no operator");
  floor = await measureFloor();
}
console.log("\n# vigil");
const vigil = await measureVigil();
if (floor !== undefined) {
  const ratio = (k: keyof Latencies) =>
    `${k} ${(vigil.latencies[k] / floor!.latencies[k]).toFixed(2)}× (${
      (vigil.latencies[k] / 1000).toFixed(2)
    } s / ${(floor!.latencies[k] / 1000).toFixed(2)} s)`;
  console.log(
    `\nvigil / floor, change → observedGeneration: ${
      (["p50", "p90", "p99", "max"] as const).map(ratio).join(", ")
    }`,
  );
}
Deno.exit(vigil.failed || floor?.failed ? 1 : 0);
