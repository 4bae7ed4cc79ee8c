/**
 * Convergence of `vigil run` against the plane's own floor: N Databases
 * (1 replica, 10 namespaces, 1Gi) from the first create until every one is
 * Ready, against the same StatefulSets created directly with no operator.
 * Also Vigil's lag (first create → every StatefulSet exists), its writes per
 * Database by resource, writes over 60 s idle and over 60 s after a restart,
 * its RSS, and leader kill -9 → first reconcile by the new leader.
 *
 * How it measures:
 * - Each phase gets a fresh plane of its own (same node count), so neither
 *   inherits the other's objects, deletions or etcd history.
 * - Floor: real Database objects (owners, so the garbage collector sees what
 *   it sees under Vigil), their Secret, ConfigMap and Services, all untimed;
 *   then the StatefulSets `desiredState` builds (with Vigil's applied-hash
 *   annotation), created by POST, timed.
 * - Floor of the lag, on a plane of its own: the writes Vigil makes before a
 *   StatefulSet exists (Database, Secret, ConfigMap, Services, StatefulSet),
 *   each Database's one after another, 32 Databases in flight, created
 *   directly; first POST → every StatefulSet exists.
 * - Creates go through a `KubeClient`, 32 in flight; the clock starts at the
 *   first request. Progress is watched with Vigil's own informer (no polling).
 * - Ready: the Database's `Ready` condition is True and its StatefulSet
 *   reports `readyReplicas: 1`, both seen in the watch.
 * - Writes by resource: kube-apiserver's `apiserver_request_total` over the
 *   convergence window plus 3 s; only Vigil writes these resources then (the
 *   bench's Database POSTs are left out); checked against Vigil's own
 *   `rest_client_requests_total`. Vigil's Event writes are counted from its
 *   Events (`count` each); its status writes by phase from its debug lines
 *   "status written". Vigil registers its webhooks (self-signed) as an
 *   installation does, so the finalizer comes with each create. Vigil runs
 *   without leader election here, so Lease
 *   renewals are no writes to count.
 *
 * Usage: `deno task bench convergence -- [N ...]` or
 * `deno run -A tests/bench/convergence_bench.ts [N ...]`; default N = 100
 * (about 5 minutes on two shared cores; N = 1000 takes about 17).
 */
import { type Plane, startPlane } from "../support/plane.ts";
import { installDatabaseCrd } from "../support/database_crd.ts";
import { logRecords, startVigil, type VigilProcess } from "../support/vigil_process.ts";
import { KubeClient, loadKubeConfig } from "../../src/kube/mod.ts";
import { Informer, type KubeObject, resourcePath } from "../../src/runtime/mod.ts";
import { DatabaseV1Schema, defaultVersion } from "../../src/database/mod.ts";
import {
  desiredState,
  generatePassword,
  MANAGED_BY_SELECTOR,
} from "../../src/controller/desired/mod.ts";
import { resourceFor, withAppliedHash } from "../../src/controller/apply/mod.ts";
import { DATABASE_RESOURCE } from "../../src/controller/mod.ts";
import { setupLogging } from "../../src/observability/log.ts";

const NAMESPACES = 10;
const IN_FLIGHT = 32;
const IDLE_MS = 60_000;
const SETTLE_MS = 3_000;
const STATEFULSETS = { ...resourceFor("apps/v1", "StatefulSet"), kind: "StatefulSet" };
/** Resources only Vigil writes while Databases converge, as `resource[/subresource]`. */
const VIGIL_RESOURCES = [
  "secrets",
  "configmaps",
  "services",
  "statefulsets",
  "databases",
  "databases/status",
];
/** Components with a client-go rate limiter whose waits we report. */
const RATE_LIMITED = ["kube-controller-manager", "kube-scheduler"];
const WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"];

setupLogging({ level: "WARN" });
const sizes = Deno.args.length > 0 ? Deno.args.map(Number) : [100];
if (sizes.some((n) => !Number.isInteger(n) || n < NAMESPACES)) {
  throw new RangeError(`Cannot run with ${Deno.args.join(" ")}: N must be integers ≥ 10`);
}

const secs = (ms: number | undefined) => ms === undefined ? "—" : (ms / 1000).toFixed(2);
const mib = (kib: number) => (kib / 1024).toFixed(1);
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function post(client: KubeClient, obj: KubeObject): Promise<KubeObject> {
  const resource = obj.kind === "Database"
    ? DATABASE_RESOURCE
    : { ...resourceFor(obj.apiVersion ?? "", obj.kind ?? ""), kind: obj.kind ?? "" };
  const path = resourcePath(resource, { namespace: obj.metadata?.namespace ?? "" });
  return client.request<KubeObject>("POST", path, { body: obj });
}

function databaseManifest(name: string, namespace: string): KubeObject {
  return {
    apiVersion: "vigil.dev/v1",
    kind: "Database",
    metadata: { name, namespace },
    spec: { engine: "postgres", replicas: 1, storageSize: "1Gi" },
  };
}

function databaseManifests(n: number): KubeObject[] {
  return Array.from({ length: n }, (_, i) => databaseManifest(`db-${i}`, `bench-${i % 10}`));
}

/** What Vigil would apply for a created Database, with its applied-hash annotation. */
function objectsFor(created: KubeObject): KubeObject[] {
  const db = DatabaseV1Schema.parse(created);
  const versioned = db.spec.version === undefined
    ? { ...db, spec: { ...db.spec, version: defaultVersion(db.spec.engine) } }
    : db;
  return desiredState(versioned, { password: generatePassword() }).apply.map(withAppliedHash);
}

type Conditions = { status?: { conditions?: { type: string; status: string }[] } };

function isReady(sts: KubeObject | undefined, db: KubeObject | undefined | null): boolean {
  const ready = (sts as { status?: { readyReplicas?: number } } | undefined)?.status
    ?.readyReplicas;
  if ((ready ?? 0) < 1) return false;
  if (db === null) return true; // the floor has no operator to report Ready
  return (db as Conditions | undefined)?.status?.conditions
    ?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** Follows the watches until every expected StatefulSet (and Database) is Ready. */
class Progress {
  readonly t0 = performance.now();
  /** When each StatefulSet was first seen, ms after t0. */
  readonly seen = new Map<string, number>();
  readonly #ready = new Set<string>();
  allExist: number | undefined;
  allReady: number | undefined;
  readonly #expected: number;
  readonly #sts: Informer;
  readonly #dbs: Informer | undefined;
  readonly #done: PromiseWithResolvers<void> = Promise.withResolvers();
  readonly #exist: PromiseWithResolvers<number> = Promise.withResolvers();

  constructor(expected: number, sts: Informer, dbs: Informer | undefined) {
    this.#expected = expected;
    this.#sts = sts;
    this.#dbs = dbs;
    const on = (obj: KubeObject) => this.#changed(obj);
    for (const i of [sts, dbs]) i?.addEventHandler({ onAdd: on, onUpdate: (_, o) => on(o) });
  }

  /** Resolves once every expected StatefulSet exists, with {@link Progress.allExist}. */
  exist(): Promise<number> {
    return this.#exist.promise;
  }

  /** Resolves once every expected key is Ready. */
  done(): Promise<void> {
    return this.#done.promise;
  }

  #changed(obj: KubeObject): void {
    const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
    const now = performance.now() - this.t0;
    if (obj.kind === "StatefulSet" && !this.seen.has(key)) {
      this.seen.set(key, now);
      if (this.seen.size === this.#expected) {
        this.allExist = now;
        this.#exist.resolve(now);
      }
    }
    const db = this.#dbs === undefined ? null : this.#dbs.store.get(key);
    if (this.#ready.has(key) || !isReady(this.#sts.store.get(key), db)) return;
    this.#ready.add(key);
    if (this.#ready.size === this.#expected) {
      this.allReady = now;
      this.#done.resolve();
    }
  }
}

/** CPU seconds (user + system) of each process so far. */
function cpuOf(pids: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return [name, (Number(fields[11]) + Number(fields[12])) / 100];
    }),
  );
}

function cpuDelta(before: Record<string, number>, after: Record<string, number>): string {
  return Object.keys(after).map((k) => `${k} ${(after[k]! - (before[k] ?? 0)).toFixed(1)}`)
    .join(", ");
}

/** VmRSS and VmHWM (peak) of a process, in KiB. */
function memoryKiB(pid: number): { rss: number; peak: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const field = (name: string) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+)`, "m"))?.[1]);
  return { rss: field("VmRSS"), peak: field("VmHWM") };
}

/** Sum of the samples of Prometheus text whose line starts with `prefix`. */
function sampleSum(text: string, prefix: string, filter = (_line: string) => true): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(prefix) && filter(line)) sum += Number(line.slice(line.lastIndexOf(" ")));
  }
  return sum;
}

async function vigilMetrics(v: VigilProcess): Promise<string> {
  return await (await fetch(`http://127.0.0.1:${v.metricsPort}/metrics`)).text();
}

/** Vigil's write requests so far, from its own `rest_client_requests_total`. */
async function vigilWrites(v: VigilProcess): Promise<number> {
  return sampleSum(
    await vigilMetrics(v),
    "rest_client_requests_total{",
    (line) => WRITE_METHODS.some((m) => line.includes(`method="${m}"`)),
  );
}

async function reconciles(v: VigilProcess): Promise<number> {
  return sampleSum(await vigilMetrics(v), "controller_runtime_reconcile_total{");
}

/** Reconciles, their mean time and mean queue wait so far, from Vigil's /metrics. */
async function controllerFigures(v: VigilProcess): Promise<string> {
  const text = await vigilMetrics(v);
  const value = (prefix: string) => sampleSum(text, prefix);
  const count = value("controller_runtime_reconcile_time_seconds_count");
  return `${count} reconciles (${
    value('controller_runtime_reconcile_total{controller="database",result="requeue')
  } requeued, ${value("controller_runtime_reconcile_errors_total")} errors), mean ${
    (value("controller_runtime_reconcile_time_seconds_sum") / count).toFixed(3)
  } s each, mean queue wait ${
    (value("workqueue_queue_duration_seconds_sum") /
      value("workqueue_queue_duration_seconds_count")).toFixed(2)
  } s`;
}

/** Per `resource[/subresource] VERB` of the writes kube-apiserver served: count, and seconds spent. */
async function apiserverWrites(plane: Plane): Promise<Map<string, { n: number; s: number }>> {
  const text = await plane.kubectlOk(["get", "--raw", "/metrics"]);
  const out = new Map<string, { n: number; s: number }>();
  for (const line of text.split("\n")) {
    const total = line.startsWith("apiserver_request_total{");
    if (!total && !line.startsWith("apiserver_request_duration_seconds_sum{")) continue;
    const label = (name: string) => line.match(new RegExp(`[{,]${name}="([^"]*)"`))?.[1] ?? "";
    if (["GET", "LIST", "WATCH", "CONNECT"].includes(label("verb"))) continue;
    const sub = label("subresource");
    const key = `${label("resource")}${sub ? `/${sub}` : ""} ${label("verb")}`;
    const entry = out.get(key) ?? { n: 0, s: 0 };
    entry[total ? "n" : "s"] += Number(line.slice(line.lastIndexOf(" ")));
    out.set(key, entry);
  }
  return out;
}

/** Seconds each component waited in its client-go rate limiter so far, and over how many requests. */
async function throttleWaits(plane: Plane): Promise<Map<string, [number, number]>> {
  const out = new Map<string, [number, number]>();
  for (const component of RATE_LIMITED) {
    const pid = plane.pids()[component]!;
    const port = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0")
      .find((a) => a.startsWith("--secure-port="))?.split("=")[1];
    const pki = `${plane.dir}/pki`;
    const res = await new Deno.Command("curl", {
      args: ["-sk", "--cert", `${pki}/admin.crt`, "--key", `${pki}/admin.key`]
        .concat(`https://127.0.0.1:${port}/metrics`),
    }).output();
    const text = new TextDecoder().decode(res.stdout);
    const metric = "rest_client_rate_limiter_duration_seconds";
    out.set(component, [sampleSum(text, `${metric}_sum`), sampleSum(text, `${metric}_count`)]);
  }
  return out;
}

/** How long the plane's clients waited for their rate limiters since `before`. */
async function throttled(plane: Plane, before: Map<string, [number, number]>): Promise<string> {
  const after = await throttleWaits(plane);
  const parts = RATE_LIMITED.map((c) => {
    const [[s0, n0], [s1, n1]] = [before.get(c)!, after.get(c)!];
    return `${c} ${(s1 - s0).toFixed(1)} s over ${n1 - n0} requests`;
  });
  // The provisioner keeps client-go's default 5 qps / 10 burst (it is set in
  // Go); client-go logs the long waits it notices.
  const log = await Deno.readTextFile(`${plane.dir}/logs/provisioner.log`).catch(() => "");
  parts.push(`provisioner ${log.split("client-side throttling").length - 1} throttling log lines`);
  return parts.join("; ");
}

async function newPlane(nodes: number): Promise<{ plane: Plane; client: KubeClient }> {
  const plane = await startPlane({ nodes, readyTimeoutMs: 180_000 });
  await installDatabaseCrd(plane);
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: `bench-${i}` },
  }));
  await plane.kubectlOk(["apply", "-f", "-"], {
    stdin: JSON.stringify({ apiVersion: "v1", kind: "List", items: namespaces }),
  });
  const { kubeConfig } = await loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath });
  return { plane, client: new KubeClient(kubeConfig) };
}

/** Informers on Vigil's StatefulSets and, for the Vigil phase, on Databases; synced. */
async function watching(client: KubeClient, signal: AbortSignal, withDatabases: boolean) {
  const sts = new Informer(client, STATEFULSETS, { labelSelector: MANAGED_BY_SELECTOR });
  const dbs = withDatabases ? new Informer(client, DATABASE_RESOURCE) : undefined;
  const running = [sts, ...(dbs ? [dbs] : [])].map((i) => i.start(signal));
  await sts.waitForSync(signal);
  await dbs?.waitForSync(signal);
  return { sts, dbs, running };
}

interface FloorResult {
  readonly accepted: number;
  readonly allExist: number;
  readonly allReady: number;
  readonly cpu: string;
  readonly throttle: string;
}

async function measureFloor(n: number, nodes: number): Promise<FloorResult> {
  const { plane, client } = await newPlane(nodes);
  const stop = new AbortController();
  try {
    const owned: KubeObject[][] = [];
    await inParallel(databaseManifests(n), IN_FLIGHT, async (db) => {
      owned.push(objectsFor(await post(client, db)));
    });
    const rest = owned.flatMap((objs) => objs.filter((o) => o.kind !== "StatefulSet"));
    await inParallel(rest, IN_FLIGHT, async (o) => void await post(client, o));
    const statefulSets = owned.flatMap((objs) => objs.filter((o) => o.kind === "StatefulSet"));
    const watch = await watching(client, stop.signal, false);
    const throttle0 = await throttleWaits(plane);
    const cpu0 = cpuOf(plane.pids());
    const progress = new Progress(n, watch.sts, undefined);
    await inParallel(statefulSets, IN_FLIGHT, async (o) => void await post(client, o));
    const accepted = performance.now() - progress.t0;
    await progress.done();
    const cpu = cpuDelta(cpu0, cpuOf(plane.pids()));
    stop.abort();
    await Promise.allSettled(watch.running);
    return {
      accepted,
      allExist: progress.allExist!,
      allReady: progress.allReady!,
      cpu,
      throttle: await throttled(plane, throttle0),
    };
  } finally {
    stop.abort();
    await plane.stop();
  }
}

/**
 * The plane's floor for Vigil's lag: every write Vigil makes before a
 * Database's StatefulSet exists, made directly on a fresh plane with no
 * operator and no webhook. Each Database is POSTed, then its Secret,
 * ConfigMap, Services and StatefulSet one after another, 32 Databases in
 * flight; timed from the first POST until every StatefulSet is seen.
 */
async function measureWriteFloor(n: number, nodes: number): Promise<number> {
  const { plane, client } = await newPlane(nodes);
  const stop = new AbortController();
  try {
    const watch = await watching(client, stop.signal, false);
    const progress = new Progress(n, watch.sts, undefined);
    await inParallel(databaseManifests(n), IN_FLIGHT, async (db) => {
      for (const o of objectsFor(await post(client, db))) await post(client, o);
    });
    const allExist = await progress.exist();
    stop.abort();
    await Promise.allSettled(watch.running);
    return allExist;
  } finally {
    stop.abort();
    await plane.stop();
  }
}

interface VigilResult {
  readonly accepted: number;
  readonly allExist: number;
  readonly allReady: number;
  /** Per Database, its POST → its StatefulSet seen: median and max. */
  readonly lag: { readonly median: number; readonly max: number };
  readonly cpu: string;
  readonly throttle: string;
  readonly writesPerDb: Record<string, number>;
  /** Mean time kube-apiserver took to serve one of those writes. */
  readonly serverMs: number;
  readonly eventsPerDb: number;
  /** Vigil's `rest_client_requests_total` writes per Database, settled and when all were Ready. */
  readonly ownWritesPerDb: { readonly settled: number; readonly atReady: number };
  readonly appliedPerDb: Record<string, number>;
  /** How many Databases had each sequence of status writes (by phase). */
  readonly statusSequences: string;
  readonly controller: string;
  readonly rss: Record<"empty" | "ready" | "steady" | "peak" | "restarted", number>;
  readonly idleWrites: number;
  readonly restart: { writes: number; resyncMs: number; podsSame: boolean; pods: number };
  readonly failover: Record<"leaseMs" | "firstReconcileMs" | "stsMs" | "readyMs", number>;
}

async function waitReadyz(v: VigilProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${v.healthPort}/readyz`);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await delay(100);
  }
  throw new Error(`Cannot see vigil ready within 120 s:\n${v.lines.slice(-20).join("\n")}`);
}

async function podUids(plane: Plane): Promise<string[]> {
  const pods = JSON.parse(
    await plane.kubectlOk(["get", "pods", "-A", "-l", MANAGED_BY_SELECTOR, "-o", "json"]),
  ).items as { metadata: { uid: string } }[];
  return pods.map((p) => p.metadata.uid).sort();
}

/** POSTs and PATCHes of the Events Vigil wrote (its `count` each). */
async function vigilEventWrites(plane: Plane): Promise<number> {
  const events = JSON.parse(await plane.kubectlOk(["get", "events", "-A", "-o", "json"]))
    .items as { reportingComponent?: string; count?: number }[];
  return events.filter((e) => e.reportingComponent === "vigil")
    .reduce((sum, e) => sum + (e.count ?? 1), 0);
}

/**
 * Per resource: Vigil's writes between two {@link apiserverWrites} snapshots,
 * per Database, and the mean seconds the apiserver took to serve them.
 */
function writesByResource(
  before: Map<string, { n: number; s: number }>,
  after: Map<string, { n: number; s: number }>,
  n: number,
): { perDb: Record<string, number>; serverMs: number } {
  const perDb: Record<string, number> = {};
  let count = 0;
  let seconds = 0;
  for (const r of VIGIL_RESOURCES) {
    let sum = 0;
    for (const [key, { n: total, s }] of after) {
      const [resource, verb] = key.split(" ") as [string, string];
      // The bench's own creates are the only POSTs of Databases.
      if (resource !== r || (r === "databases" && verb === "POST")) continue;
      sum += total - (before.get(key)?.n ?? 0);
      seconds += s - (before.get(key)?.s ?? 0);
    }
    perDb[r] = sum / n;
    count += sum;
  }
  return { perDb, serverMs: (seconds / count) * 1000 };
}

/** "applied" lines per Database by kind, and how many Databases had each sequence of status writes. */
function fromLog(lines: readonly string[], n: number) {
  const applied: Record<string, number> = {};
  const phases = new Map<string, string[]>();
  for (const r of logRecords(lines)) {
    if (r.msg === "applied") applied[String(r.kind)] = (applied[String(r.kind)] ?? 0) + 1 / n;
    if (r.msg === "status written") {
      phases.set(String(r.key), [...phases.get(String(r.key)) ?? [], String(r.phase)]);
    }
  }
  const sequences = new Map<string, number>();
  for (const p of phases.values()) {
    sequences.set(p.join(" → "), (sequences.get(p.join(" → ")) ?? 0) + 1);
  }
  const statusSequences = [...sequences].sort((a, b) => b[1] - a[1])
    .map(([seq, count]) => `${count}× ${seq}`).join(", ");
  return { applied, statusSequences };
}

async function measureVigil(n: number, nodes: number): Promise<VigilResult> {
  const { plane, client } = await newPlane(nodes);
  const stop = new AbortController();
  const running: VigilProcess[] = [];
  // A restarted Vigil keeps its webhook port (`samePortAs`), as a pod behind
  // its Service does; a new port is a new URL to write into the webhook configurations.
  const start = (leaderElect: boolean, samePortAs?: VigilProcess) => {
    const v = startVigil({
      server: plane.server,
      kubeconfig: plane.kubeconfigPath,
      args: [
        // Registered as every installation has them: the apiserver calls the
        // mutating webhook (defaults, the finalizer) on each create.
        "--webhook-self-signed",
        "--webhook-url-host=127.0.0.1",
        "--max-concurrent-reconciles=4",
        "--log-level=debug", // for the "status written" lines
        "--leader-election-namespace=default",
        ...(leaderElect ? [] : ["--leader-elect=false"]),
        ...(samePortAs === undefined ? [] : [`--webhook-port=${samePortAs.webhookPort}`]),
      ],
    });
    running.push(v);
    return v;
  };
  try {
    const watch = await watching(client, stop.signal, true);
    let vigil = start(false);
    await waitReadyz(vigil);
    const rssEmpty = memoryKiB(vigil.child.pid).rss;
    const throttle0 = await throttleWaits(plane);
    const api0 = await apiserverWrites(plane);
    const own0 = await vigilWrites(vigil);
    const cpu0 = cpuOf({ ...plane.pids(), vigil: vigil.child.pid });
    const progress = new Progress(n, watch.sts, watch.dbs);
    const createdAt = new Map<string, number>();
    await inParallel(databaseManifests(n), IN_FLIGHT, async (db) => {
      createdAt.set(`${db.metadata?.namespace}/${db.metadata?.name}`, performance.now());
      await post(client, db);
    });
    const accepted = performance.now() - progress.t0;
    await progress.done();
    const cpu = cpuDelta(cpu0, cpuOf({ ...plane.pids(), vigil: vigil.child.pid }));
    const throttle = await throttled(plane, throttle0);
    const ownAtReady = await vigilWrites(vigil) - own0;
    const rssReady = memoryKiB(vigil.child.pid).rss;
    await delay(SETTLE_MS);
    const writes = writesByResource(api0, await apiserverWrites(plane), n);
    const settled = await vigilWrites(vigil);
    const eventWrites = await vigilEventWrites(plane);
    const log = fromLog(vigil.lines, n);
    const controller = await controllerFigures(vigil);
    const lags = [...progress.seen].map(([key, at]) => progress.t0 + at - createdAt.get(key)!)
      .sort((a, b) => a - b);

    await delay(IDLE_MS);
    const idleWrites = await vigilWrites(vigil) - settled;
    const steady = memoryKiB(vigil.child.pid);

    const pods = await podUids(plane);
    await vigil.stop();
    const restartedAt = performance.now();
    vigil = start(false, vigil);
    await waitReadyz(vigil);
    let resyncMs = NaN;
    while (performance.now() - restartedAt < IDLE_MS) {
      if (Number.isNaN(resyncMs) && await reconciles(vigil) >= n) {
        resyncMs = performance.now() - restartedAt;
      }
      await delay(250);
    }
    const restartWrites = await vigilWrites(vigil);
    const podsAfter = await podUids(plane);
    const rssRestarted = memoryKiB(vigil.child.pid).rss;
    await vigil.stop();

    const failover = await leaderKill(client, watch.sts, watch.dbs!, start);
    stop.abort();
    await Promise.allSettled(watch.running);
    return {
      accepted,
      allExist: progress.allExist!,
      allReady: progress.allReady!,
      lag: { median: lags[Math.floor(lags.length / 2)]!, max: lags[lags.length - 1]! },
      cpu,
      throttle,
      writesPerDb: writes.perDb,
      serverMs: writes.serverMs,
      eventsPerDb: eventWrites / n,
      ownWritesPerDb: { settled: (settled - own0) / n, atReady: ownAtReady / n },
      appliedPerDb: log.applied,
      statusSequences: log.statusSequences,
      controller,
      rss: {
        empty: rssEmpty,
        ready: rssReady,
        steady: steady.rss,
        peak: steady.peak,
        restarted: rssRestarted,
      },
      idleWrites,
      restart: {
        writes: restartWrites,
        resyncMs,
        podsSame: JSON.stringify(pods) === JSON.stringify(podsAfter),
        pods: podsAfter.length,
      },
      failover,
    };
  } finally {
    stop.abort();
    for (const v of running) await v.kill();
    await plane.stop();
  }
}

/**
 * Two replicas with leader election (default timings); kill -9 the leader,
 * create a Database at once, and time the standby: Lease taken, first
 * reconcile (its `controller_runtime_reconcile_total` rises), the new
 * Database's StatefulSet, and its Ready.
 */
async function leaderKill(
  client: KubeClient,
  sts: Informer,
  dbs: Informer,
  start: (leaderElect: boolean) => VigilProcess,
): Promise<VigilResult["failover"]> {
  const lease = "/apis/coordination.k8s.io/v1/namespaces/default/leases/vigil-leader";
  type Lease = { spec?: { holderIdentity?: string } };
  const holder = async () =>
    (await client.request<Lease>("GET", lease).catch((): Lease => ({}))).spec?.holderIdentity;
  const leader = start(true);
  const deadline = Date.now() + 120_000;
  let first: string | undefined;
  while ((first = await holder()) === undefined || first === "") {
    if (Date.now() > deadline) throw new Error("Cannot see a first leader within 120 s");
    await delay(100);
  }
  const standby = start(true);
  await waitReadyz(standby);
  await delay(SETTLE_MS);
  if (await reconciles(standby) !== 0) {
    throw new Error("Cannot measure a takeover: the standby reconciled before it led");
  }
  const t0 = performance.now();
  leader.child.kill("SIGKILL");
  await post(client, databaseManifest("takeover", "bench-0"));
  const out = { leaseMs: NaN, firstReconcileMs: NaN, stsMs: NaN, readyMs: NaN };
  const since = () => performance.now() - t0;
  while (Number.isNaN(out.readyMs) && since() < 180_000) {
    if (Number.isNaN(out.leaseMs) && ![first, "", undefined].includes(await holder())) {
      out.leaseMs = since();
    }
    if (Number.isNaN(out.firstReconcileMs) && await reconciles(standby) > 0) {
      out.firstReconcileMs = since();
    }
    const key = "bench-0/takeover";
    if (Number.isNaN(out.stsMs) && sts.store.get(key)) out.stsMs = since();
    if (isReady(sts.store.get(key), dbs.store.get(key))) out.readyMs = since();
    await delay(50);
  }
  await leader.kill();
  await standby.stop();
  return out;
}

function report(n: number, floor: FloorResult, writeFloor: number, v: VigilResult): void {
  console.log(
    `floor: accepted ${secs(floor.accepted)} s, all exist ${secs(floor.allExist)} s, ` +
      `all Ready ${secs(floor.allReady)} s\n  CPU s: ${floor.cpu}\n` +
      `  client throttling: ${floor.throttle}\n` +
      `  writes before every StatefulSet exists (Database, Secret, ConfigMap, Services, ` +
      `StatefulSet, created directly, ${IN_FLIGHT} Databases in flight): ${secs(writeFloor)} s`,
  );
  console.log(
    `vigil: accepted ${secs(v.accepted)} s, every StatefulSet exists ${secs(v.allExist)} s ` +
      `= ${(v.allExist / writeFloor).toFixed(2)}× that floor ` +
      `(per Database median ${secs(v.lag.median)} s, max ${secs(v.lag.max)} s), ` +
      `all Ready ${secs(v.allReady)} s = ${(v.allReady / floor.allReady).toFixed(3)}× the floor` +
      `\n  CPU s: ${v.cpu}\n  client throttling: ${v.throttle}`,
  );
  const byResource = Object.entries(v.writesPerDb).map(([r, x]) => `${r} ${x.toFixed(2)}`);
  const sum = Object.values(v.writesPerDb).reduce((a, b) => a + b, 0);
  const applied = Object.entries(v.appliedPerDb).map(([k, x]) => `${k} ${x.toFixed(2)}`);
  console.log(
    `  writes per Database (apiserver_request_total): ${byResource.join(", ")} = ` +
      `${sum.toFixed(2)}; events ${v.eventsPerDb.toFixed(2)} besides; the apiserver served ` +
      `each in ${v.serverMs.toFixed(1)} ms on average\n` +
      `  Vigil's rest_client writes per Database: ${v.ownWritesPerDb.settled.toFixed(2)} ` +
      `(${v.ownWritesPerDb.atReady.toFixed(2)} when all were Ready); ` +
      `"applied" lines: ${applied.join(", ")}\n` +
      `  status writes by Database: ${v.statusSequences}\n` +
      `  Vigil's controller: ${v.controller}`,
  );
  console.log(
    `  idle ${IDLE_MS / 1000} s: ${v.idleWrites} writes; restart: ${v.restart.writes} writes in ` +
      `${IDLE_MS / 1000} s, all ${n} reconciled after ${secs(v.restart.resyncMs)} s, ` +
      `pods ${v.restart.podsSame ? "unchanged" : "CHANGED"} (${v.restart.pods})`,
  );
  console.log(
    `  RSS MiB: ${mib(v.rss.empty)} before the first Database, ${mib(v.rss.ready)} when all ` +
      `were Ready, ${mib(v.rss.steady)} steady after the idle minute, ${mib(v.rss.peak)} peak ` +
      `(VmHWM); ${mib(v.rss.restarted)} a minute after a restart`,
  );
  const f = v.failover;
  console.log(
    `  leader kill -9 → standby holds the Lease ${secs(f.leaseMs)} s, first reconcile ` +
      `${secs(f.firstReconcileMs)} s, new Database's StatefulSet ${secs(f.stsMs)} s, ` +
      `Ready ${secs(f.readyMs)} s`,
  );
}

const results: { n: number; floor: FloorResult; writeFloor: number; vigil: VigilResult }[] = [];
for (const n of sizes) {
  const nodes = Math.max(3, Math.ceil(n / 100) + 1); // 110 pods fit on a kwok node
  console.log(`\n## ${n} Databases, 1 replica each, ${NAMESPACES} namespaces, ${nodes} kwok nodes`);
  const floor = await measureFloor(n, nodes);
  const writeFloor = await measureWriteFloor(n, nodes);
  const vigil = await measureVigil(n, nodes);
  results.push({ n, floor, writeFloor, vigil });
  report(n, floor, writeFloor, vigil);
}

console.log(
  `\n     N  floor s  vigil s  ratio  all sts s (floor)  writes/db  idle  restart  RSS MiB (peak)`,
);
for (const { n, floor, writeFloor, vigil: v } of results) {
  const writes = Object.values(v.writesPerDb).reduce((a, b) => a + b, 0);
  console.log(
    [
      String(n).padStart(6),
      secs(floor.allReady).padStart(7),
      secs(v.allReady).padStart(7),
      (v.allReady / floor.allReady).toFixed(3).padStart(6),
      `${secs(v.allExist)} (${secs(writeFloor)})`.padStart(17),
      writes.toFixed(2).padStart(9),
      String(v.idleWrites).padStart(4),
      String(v.restart.writes).padStart(7),
      `${mib(v.rss.steady)} (${mib(v.rss.peak)})`.padStart(15),
    ].join("  "),
  );
}
