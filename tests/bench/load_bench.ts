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
 * and error log lines. Exits 1 when there are errors.
 *
 * Usage: `deno task bench load -- [--databases=N] [--minutes=M] [--rate=R]`
 * (e.g. `-- --databases=100 --minutes=2` for a short run).
 */
import { startPlane } from "../support/plane.ts";
import { installDatabaseCrd } from "../support/database_crd.ts";
import { logRecords, startVigil } from "../support/vigil_process.ts";
import { generateSelfSigned, writeCertDirectory } from "../../src/webhook/mod.ts";
import { KubeClient, loadKubeConfig } from "../../src/kube/mod.ts";
import { Informer, type KubeObject } from "../../src/runtime/mod.ts";

/** `--name=value` arguments; anything else is refused, naming what is accepted. */
function option(name: string, fallback: number): number {
  for (const arg of Deno.args) {
    const m = arg.match(/^--([a-z]+)=(.*)$/);
    if (m === null || !["databases", "minutes", "rate"].includes(m[1]!)) {
      console.error(
        `load_bench: unknown argument "${arg}" (accepted: --databases=N --minutes=M --rate=R)`,
      );
      Deno.exit(2);
    }
    if (m[1] !== name) continue;
    const value = Number(m[2]);
    if (!(value > 0)) {
      console.error(`load_bench: --${name}=${m[2]} is not a positive number`);
      Deno.exit(2);
    }
    return value;
  }
  return fallback;
}
const N = option("databases", 1_000);
const MINUTES = option("minutes", 10);
const RATE = option("rate", 30);
const NAMESPACE = "load";
const IN_FLIGHT = 32;
const RSS_EVERY_MS = 30_000;
const DEPTH_EVERY_MS = 5_000;
const DRAIN_MS = 180_000;

interface Db {
  metadata: { name: string; generation?: number };
  status?: {
    observedGeneration?: number;
    conditions?: Array<{ type: string; status: string }>;
  };
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1]) / 1024;
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

const nodes = Math.max(3, Math.ceil(N / 100) + 1); // 110 pods fit on a kwok node
console.log(
  `load: ${N} Databases, then ${MINUTES} min of ${RATE} spec changes/s, ${nodes} kwok nodes`,
);
const plane = await startPlane({ nodes, readyTimeoutMs: 300_000 });
const certDir = await Deno.makeTempDir({ prefix: "vigil-load-certs-" });
const stop = new AbortController();
let exitCode = 0;
try {
  await installDatabaseCrd(plane);
  await plane.kubectlOk(["create", "namespace", NAMESPACE]);
  await writeCertDirectory(certDir, await generateSelfSigned({ ipAddresses: ["127.0.0.1"] }));
  const client = new KubeClient(
    loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath }).kubeConfig,
  );
  const vigil = startVigil({
    server: plane.server,
    kubeconfig: plane.kubeconfigPath,
    read: [certDir],
    args: [`--webhook-cert-dir=${certDir}`, `--namespace=${NAMESPACE}`, "--leader-elect=false"],
  });
  const scrape = async () =>
    await (await fetch(`http://127.0.0.1:${vigil.metricsPort}/metrics`)).text();
  try {
    // Databases as the watch sees them; pending changes resolve when observedGeneration reaches them.
    const informer = new Informer<KubeObject>(client, {
      group: "vigil.dev",
      version: "v1",
      plural: "databases",
      namespaced: true,
      kind: "Database",
    }, { namespace: NAMESPACE });
    const pending = new Map<string, Array<{ generation: number; sent: number }>>();
    const latencies: number[] = [];
    const ready = new Set<string>();
    let allReady: (() => void) | undefined;
    const seen = (o: KubeObject) => {
      const db = o as unknown as Db;
      const name = db.metadata.name;
      if (db.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) {
        ready.add(name);
        if (ready.size === N) allReady?.();
      }
      const observed = db.status?.observedGeneration ?? 0;
      const waiting = pending.get(name);
      if (waiting === undefined) return;
      const now = performance.now();
      const left = waiting.filter((w) => {
        if (w.generation > observed) return true;
        latencies.push(now - w.sent);
        return false;
      });
      if (left.length === 0) pending.delete(name);
      else pending.set(name, left);
    };
    informer.addEventHandler({ onAdd: seen, onUpdate: (_o, n) => seen(n) });
    const watching = informer.start(stop.signal);
    await informer.waitForSync(stop.signal);
    for (let i = 0; i < 1_200 && !(await scrape().then(() => true, () => false)); i++) {
      await delay(100);
    }

    // Phase 1: N Databases.
    const names = Array.from({ length: N }, (_, i) => `db-${i}`);
    const base = `/apis/vigil.dev/v1/namespaces/${NAMESPACE}/databases`;
    const created = performance.now();
    const everyReady = new Promise<void>((r) => allReady = r);
    let next = 0;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < N) {
        const name = names[next++]!;
        await client.request("POST", base, {
          body: {
            apiVersion: "vigil.dev/v1",
            kind: "Database",
            metadata: { name },
            spec: { engine: "postgres", version: "17.5", replicas: 1, storageSize: "1Gi" },
          },
        });
      }
    }));
    if (ready.size < N) await everyReady;
    const convergeS = (performance.now() - created) / 1000;
    console.log(`converged: ${N} Databases Ready in ${convergeS.toFixed(1)} s`);

    // Phase 2: changes.
    const errorsBefore = metricSum(await scrape(), "controller_runtime_reconcile_errors_total");
    const logErrorsBefore = logRecords(vigil.lines).filter((r) => r.level === "error").length;
    const state = new Map(names.map((n) => [n, { replicas: 1, storageGi: 1, config: 0 }]));
    const depth: Array<[number, number]> = [];
    const rss: Array<[number, number]> = [[0, rssMiB(vigil.child.pid)]];
    let patchErrors = 0;
    let sentChanges = 0;
    const firstPatchError: string[] = [];
    const phaseStart = performance.now();
    const phaseMs = MINUTES * 60_000;
    const sampler = (async () => {
      let lastRss = 0;
      while (performance.now() - phaseStart < phaseMs) {
        await delay(DEPTH_EVERY_MS);
        const t = (performance.now() - phaseStart) / 1000;
        depth.push([t, metricSum(await scrape(), "workqueue_depth")]);
        if (t * 1000 - lastRss >= RSS_EVERY_MS - 100) {
          rss.push([t, rssMiB(vigil.child.pid)]);
          lastRss = t * 1000;
        }
      }
    })();
    const inFlight = new Set<Promise<void>>();
    const busy = new Set<string>();
    let skipped = 0;
    let due = performance.now();
    for (let i = 0; performance.now() - phaseStart < phaseMs; i++) {
      // One change in flight per Database: two in flight could land out of order (a
      // storage size after a larger one is a shrink, which the CRD refuses).
      let name = names[Math.floor(Math.random() * N)]!;
      for (let tries = 0; busy.has(name) && tries < N; tries++) {
        name = names[Math.floor(Math.random() * N)]!;
      }
      if (busy.has(name)) {
        skipped++;
        due += 1_000 / RATE;
        await delay(Math.max(0, due - performance.now()));
        continue;
      }
      busy.add(name);
      const s = state.get(name)!;
      let spec: Record<string, unknown>;
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
      const patch = client.request<Db>("PATCH", `${base}/${name}`, {
        contentType: "application/merge-patch+json",
        body: { spec },
      }).then((db) => {
        sentChanges++;
        const list = pending.get(name) ?? [];
        list.push({ generation: db.metadata.generation ?? 0, sent });
        pending.set(name, list);
      }, (err) => {
        patchErrors++;
        if (firstPatchError.length < 3) firstPatchError.push(String(err));
      });
      inFlight.add(patch);
      patch.finally(() => {
        inFlight.delete(patch);
        busy.delete(name);
      });
      due += 1_000 / RATE;
      await delay(Math.max(0, due - performance.now()));
    }
    await Promise.all([...inFlight]);
    await sampler;
    const drainStart = performance.now();
    while (pending.size > 0 && performance.now() - drainStart < DRAIN_MS) await delay(250);
    const unobserved = [...pending.values()].reduce((n, l) => n + l.length, 0);
    const reconcileErrors = metricSum(await scrape(), "controller_runtime_reconcile_errors_total") -
      errorsBefore;
    const errorLines = logRecords(vigil.lines).filter((r) => r.level === "error");
    const logErrors = errorLines.length - logErrorsBefore;

    // Figures.
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(
      `changes: ${sentChanges} sent in ${MINUTES} min (${
        (sentChanges / (MINUTES * 60)).toFixed(1)
      }/s), ${latencies.length} observed, ${skipped} not sent (every Database had a change in flight)`,
    );
    console.log(
      `change → observedGeneration: p50 ${percentile(sorted, 0.5).toFixed(0)} ms, ` +
        `p90 ${percentile(sorted, 0.9).toFixed(0)} ms, p99 ${
          percentile(sorted, 0.99).toFixed(0)
        } ms, max ${(sorted.at(-1) ?? NaN).toFixed(0)} ms`,
    );
    const windows = new Map<number, number[]>();
    for (const [t, d] of depth) {
      const w = Math.floor(t / 30) * 30;
      windows.set(w, [...(windows.get(w) ?? []), d]);
    }
    console.log(
      "queue depth per 30 s (max/mean): " +
        [...windows].map(([w, ds]) =>
          `${w}s ${Math.max(...ds)}/${(ds.reduce((a, b) => a + b, 0) / ds.length).toFixed(1)}`
        ).join(", "),
    );
    console.log(
      "RSS every 30 s (MiB): " + rss.map(([t, m]) => `${t.toFixed(0)}s ${m.toFixed(0)}`).join(", "),
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
      `errors: ${patchErrors} failed PATCHes${
        firstPatchError.length ? ` (${firstPatchError.join("; ")})` : ""
      }, ${unobserved} changes never observed within ${DRAIN_MS / 1000} s after, ` +
        `${reconcileErrors} reconcile errors, ${logErrors} error log lines` +
        (logErrors > 0 ? ` (first: ${JSON.stringify(errorLines.at(-logErrors))})` : ""),
    );
    if (patchErrors + unobserved + reconcileErrors + logErrors > 0) exitCode = 1;
    stop.abort();
    await watching;
  } finally {
    stop.abort();
    const code = await vigil.stop();
    if (code !== 0) {
      console.log(`vigil exited ${code}:\n${vigil.lines.slice(-20).join("\n")}`);
      exitCode = 1;
    }
  }
} finally {
  await plane.stop();
  await Deno.remove(certDir, { recursive: true }).catch(() => {});
}
Deno.exit(exitCode);
