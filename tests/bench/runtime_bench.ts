/**
 * Runtime benchmarks, one run, one table: workqueue throughput next to a
 * plain array-and-Set baseline; informer memory per cached ConfigMap with and
 * without the managedFields transform; time to sync 10,000 objects by
 * paginated and by streaming list.
 *
 * Usage: deno run -A --v8-flags=--expose-gc tests/bench/runtime_bench.ts
 * (a private apiserver plane is started unless VIGIL_BENCH_KUBECONFIG names one).
 *
 * @module
 */
import { startPlane } from "../support/plane.ts";
import { Informer, PriorityQueue } from "../../src/runtime/mod.ts";
import {
  clientFor,
  CONFIGMAPS,
  createConfigMaps,
  createNamespace,
  deleteNamespace,
} from "../cluster/runtime/_helpers.ts";

const rows: Array<[string, string]> = [];
const N = 200_000;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function queueOps(name: string, make: () => PriorityQueue<string>) {
  const q = make();
  const start = performance.now();
  for (let i = 0; i < N; i++) q.add(`k${i}`);
  for (let i = 0; i < N; i++) {
    const r = await q.get();
    if (!r.shutdown) q.done(r.item);
  }
  const ms = performance.now() - start;
  q.shutdown();
  rows.push([
    `${name}: add+get+done ops/s`,
    Math.round((3 * N) / (ms / 1000)).toLocaleString("en"),
  ]);
}

async function baseline() {
  const items: string[] = [];
  const dirty = new Set<string>();
  const start = performance.now();
  for (let i = 0; i < N; i++) {
    const k = `k${i}`;
    if (!dirty.has(k)) {
      dirty.add(k);
      items.push(k);
    }
  }
  for (let i = 0; i < N; i++) {
    const k = await Promise.resolve(items[i]!);
    dirty.delete(k);
  }
  const ms = performance.now() - start;
  rows.push([
    "baseline array+Set: add+get+done ops/s",
    Math.round((3 * N) / (ms / 1000)).toLocaleString("en"),
  ]);
}

async function informerFigures(kubeconfigPath: string) {
  const client = await clientFor(kubeconfigPath);
  const ns = await createNamespace(client, "bench");
  const count = 10_000;
  try {
    const t0 = performance.now();
    await createConfigMaps(client, ns, count, {
      concurrency: 50,
      // Ten keys, as a small config would have: managedFields then lists
      // each key (f:data.f:<key>), as it lists every field an operator sets.
      data: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`key-${i}`, "x".repeat(20)])),
    });
    rows.push(["create 10,000 ConfigMaps (s)", ((performance.now() - t0) / 1000).toFixed(1)]);
    const heap: Record<string, number> = {};
    // Each variant runs in a fresh process so that its heap delta is its own.
    const variants: Array<[string, string]> = [
      ["paginated list, managedFields stripped", "paginated"],
      ["streaming list, managedFields stripped", "streaming"],
      ["paginated list, objects kept whole", "whole"],
    ];
    for (const [label, mode] of variants) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--v8-flags=--expose-gc",
          import.meta.filename!,
          "--measure",
          mode,
          kubeconfigPath,
          ns,
        ],
        stdout: "piped",
        stderr: "inherit",
      }).output();
      const m = JSON.parse(new TextDecoder().decode(out.stdout)) as Record<string, number>;
      rows.push([`${label}: sync (ms)`, m.syncMs!.toFixed(0)]);
      rows.push([`${label}: heap bytes/object`, Math.round(m.heapPerObject!).toLocaleString("en")]);
      rows.push([`${label}: RSS bytes/object`, Math.round(m.rssPerObject!).toLocaleString("en")]);
      heap[mode] = m.heapPerObject!;
    }
    if (heap.paginated !== undefined && heap.whole !== undefined) {
      const saved = heap.whole - heap.paginated;
      rows.push([
        "managedFields transform saves (heap bytes/object)",
        `${Math.round(saved).toLocaleString("en")} (${((saved / heap.whole) * 100).toFixed(0)}%)`,
      ]);
    }
  } finally {
    await deleteNamespace(client, ns);
  }
}

if (Deno.args[0] === "--measure") {
  const [, mode, kubeconfigPath, ns] = Deno.args as [string, string, string, string];
  const client = await clientFor(kubeconfigPath);
  gc();
  const before = Deno.memoryUsage();
  const ac = new AbortController();
  const informer = new Informer(client, CONFIGMAPS, {
    namespace: ns,
    streamingList: mode === "streaming",
    ...(mode === "whole" ? { transform: (o) => o } : {}),
  });
  const started = performance.now();
  const running = informer.start(ac.signal);
  await informer.waitForSync(ac.signal);
  const syncMs = performance.now() - started;
  gc();
  const after = Deno.memoryUsage();
  const n = informer.store.size;
  console.log(JSON.stringify({
    syncMs,
    heapPerObject: (after.heapUsed - before.heapUsed) / n,
    rssPerObject: (after.rss - before.rss) / n,
  }));
  ac.abort();
  await running;
  Deno.exit(0);
}
if ((globalThis as { gc?: unknown }).gc === undefined) {
  console.error("note: run with --v8-flags=--expose-gc for stable memory figures");
}
await baseline();
await queueOps("PriorityQueue", () => new PriorityQueue<string>());

const external = Deno.env.get("VIGIL_BENCH_KUBECONFIG");
if (external !== undefined) {
  await informerFigures(external);
} else {
  const plane = await startPlane({ mode: "apiserver" });
  try {
    await informerFigures(plane.kubeconfigPath);
  } finally {
    await plane.stop();
  }
}

const width = Math.max(...rows.map(([k]) => k.length));
console.log(`${"measure".padEnd(width)}  value`);
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
