/**
 * Vigil's own Prometheus registry renders, byte for byte, the exposition
 * text prom-client 15.1.3 (which it replaced) renders for the same metrics
 * and the same updates. prom-client is imported here and nowhere else.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
// The comparison baseline only: deno.json no longer maps prom-client, so that
// nothing under src/ can import it by name again.
// deno-lint-ignore no-import-prefix
import * as prom from "npm:prom-client@15.1.3";
import { Counter, Gauge, Histogram, Registry } from "../../../src/runtime/mod.ts";

type Labels = Record<string, string | number>;

interface CounterLike {
  inc(labels: Labels, by?: number): void;
  labels(...values: Array<string | number>): { inc(by?: number): void };
}
interface GaugeLike {
  set(labels: Labels, value: number): void;
  inc(labels: Labels, by?: number): void;
  dec(labels: Labels, by?: number): void;
  reset(): void;
  labels(...values: Array<string | number>): { set(v: number): void; inc(): void; dec(): void };
}
interface HistogramLike {
  observe(labels: Labels, value: number): void;
  labels(...values: Array<string | number>): { observe(value: number): void };
}
interface MetricOptions {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: string[];
}

/** One way to build metrics: Vigil's registry or prom-client's. */
interface Kit {
  counter(o: MetricOptions): CounterLike;
  gauge(o: MetricOptions & { collect?: (g: GaugeLike) => void }): GaugeLike;
  histogram(o: MetricOptions & { buckets?: number[] }): HistogramLike;
  metrics(): Promise<string>;
}

function vigilKit(): Kit {
  const registry = new Registry();
  return {
    counter: (o) => registry.register(new Counter<string>(o)) as unknown as CounterLike,
    gauge: ({ collect, ...o }) =>
      registry.register(
        new Gauge<string>({
          ...o,
          ...(collect === undefined ? {} : { collect: (g) => collect(g as unknown as GaugeLike) }),
        }),
      ) as unknown as GaugeLike,
    histogram: (o) => registry.register(new Histogram<string>(o)) as unknown as HistogramLike,
    metrics: () => Promise.resolve(registry.metrics()),
  };
}

function promClientKit(): Kit {
  const registry = new prom.Registry();
  const registers = [registry];
  return {
    counter: (o) => new prom.Counter({ ...o, registers }) as unknown as CounterLike,
    gauge: ({ collect, ...o }) =>
      new prom.Gauge({
        ...o,
        registers,
        ...(collect === undefined ? {} : {
          collect(this: prom.Gauge) {
            collect(this as unknown as GaugeLike);
          },
        }),
      }) as unknown as GaugeLike,
    histogram: (o) => new prom.Histogram({ ...o, registers }) as unknown as HistogramLike,
    metrics: () => registry.metrics(),
  };
}

/** client-go's workqueue buckets and controller-runtime's reconcile buckets, as Vigil uses them. */
const QUEUE_BUCKETS = Array.from({ length: 10 }, (_, i) => 1e-8 * 10 ** i);
const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 1, 2.5, 10, 60];

/** The same metrics and updates Vigil's metrics make, plus every escape. */
async function scenario(kit: Kit): Promise<string> {
  const reconciles = kit.counter({
    name: "controller_runtime_reconcile_total",
    help: "Total number of reconciliations per controller",
    labelNames: ["controller", "result"],
  });
  for (const result of ["success", "error", "requeue", "requeue_after"]) {
    reconciles.inc({ controller: "database", result }, 0);
  }
  reconciles.inc({ controller: "database", result: "success" });
  reconciles.inc({ controller: "database", result: "success" }, 2.5);
  const requests = kit.counter({
    name: "rest_client_requests_total",
    help: "Number of HTTP requests, partitioned by status code, method, and host",
    labelNames: ["code", "method", "host"],
  });
  requests.inc({ code: 200, method: "GET", host: "127.0.0.1:6443" });
  requests.inc({ code: "<error>", method: "PATCH", host: "[::1]:6443" });
  const escapes = kit.counter({
    name: "escapes_total",
    help: 'Help with a backslash \\ a "quote" and a\nline feed',
    labelNames: ["path"],
  });
  for (const path of ["C:\\dir", 'say "hi"', "two\nlines", "\\n literal", "ünïcødé ✓", ""]) {
    escapes.inc({ path });
  }
  escapes.labels("by child").inc(7);
  kit.counter({ name: "unlabelled_total", help: "No labels, so present at 0" });

  const depth = kit.gauge({
    name: "workqueue_depth",
    help: "Current depth of workqueue",
    labelNames: ["name", "controller"],
  });
  depth.set({ name: "database", controller: "database" }, 0);
  depth.inc({ name: "database", controller: "database" }, 3);
  depth.dec({ name: "database", controller: "database" });
  depth.set({ name: "other", controller: "other" }, -1.25);
  const inFlight = kit.gauge({
    name: "controller_runtime_webhook_requests_in_flight",
    help: "Current number of admission requests being served.",
    labelNames: ["webhook"],
  }).labels("/validate");
  inFlight.inc();
  inFlight.inc();
  inFlight.dec();
  const odd = kit.gauge({ name: "odd_values", help: "Infinities", labelNames: ["sign"] });
  odd.set({ sign: "plus" }, Infinity);
  odd.set({ sign: "minus" }, -Infinity);
  odd.set({ sign: "tiny" }, 1e-21);
  odd.set({ sign: "huge" }, 1.5e300);
  odd.set({ sign: "sum" }, 0.1 + 0.2);
  const cache = new Map([["shop/orders", "Ready"], ["shop/users", "Pending"]]);
  kit.gauge({
    name: "vigil_databases",
    help: "Databases by phase, from the cache",
    labelNames: ["namespace", "name", "phase"],
    collect(g) {
      g.reset();
      for (const [key, phase] of cache) {
        const [namespace, name] = key.split("/") as [string, string];
        g.set({ namespace, name, phase }, 1);
      }
    },
  });
  kit.gauge({ name: "plain_gauge", help: "No labels" });

  const reconcileTime = kit.histogram({
    name: "controller_runtime_reconcile_time_seconds",
    help: "Length of time per reconciliation per controller",
    labelNames: ["controller"],
    buckets: RECONCILE_BUCKETS,
  });
  for (const s of [0, 0.005, 0.0051, 0.3, 59.9, 60, 61, 1000]) {
    reconcileTime.observe({ controller: "database" }, s);
  }
  const queue = kit.histogram({
    name: "workqueue_queue_duration_seconds",
    help: "How long in seconds an item stays in workqueue before being requested",
    labelNames: ["name", "controller"],
    buckets: QUEUE_BUCKETS,
  });
  for (const s of [1e-9, 1e-8, 2e-7, 0.5, 3, 2000]) {
    queue.observe({ name: "database", controller: "database" }, s);
  }
  const latency = kit.histogram({
    name: "controller_runtime_webhook_latency_seconds",
    help: "Histogram of the latency of processing admission requests",
    labelNames: ["webhook"],
  });
  latency.labels("/mutate").observe(0.0042);
  latency.observe({ webhook: 'quote"d' }, 0.3);
  kit.histogram({ name: "unlabelled_seconds", help: "No labels", buckets: [1, 2] });

  const first = await kit.metrics();
  // A Database is gone: its series must go at the next scrape.
  cache.delete("shop/orders");
  return `${first}=====\n${await kit.metrics()}`;
}

Deno.test("Vigil's registry renders what prom-client rendered for the same metrics", async () => {
  const expected = await scenario(promClientKit());
  const actual = await scenario(vigilKit());
  assert.equal(actual, expected);
  // The scenario really exercised what it claims to.
  for (
    const line of [
      'escapes_total{path="C:\\\\dir"} 1',
      'escapes_total{path="say \\"hi\\""} 1',
      'escapes_total{path="two\\nlines"} 1',
      '# HELP escapes_total Help with a backslash \\\\ a "quote" and a\\nline feed',
      'workqueue_queue_duration_seconds_bucket{le="+Inf",name="database",controller="database"} 6',
      'controller_runtime_reconcile_time_seconds_bucket{le="60",controller="database"} 6',
      'controller_runtime_reconcile_time_seconds_count{controller="database"} 8',
      'odd_values{sign="plus"} +Inf',
    ]
  ) {
    assert.ok(actual.includes(`${line}\n`), `missing line ${line}`);
  }
  assert.match(
    actual,
    /vigil_databases\{namespace="shop",name="orders",phase="Ready"\} 1\n[^]*=====/,
  );
  assert.doesNotMatch(actual.split("=====")[1]!, /name="orders"/);
});

Deno.test("any label values and sample values render as prom-client rendered them", async () => {
  const value = fc.double({ noNaN: true });
  const label = fc.string({ unit: "binary", maxLength: 12 });
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(label, label, fc.double({ min: 0, max: 1e9, noNaN: true })), {
        maxLength: 8,
      }),
      fc.array(fc.tuple(label, value), { maxLength: 8 }),
      fc.array(fc.tuple(label, fc.double({ noNaN: true, noDefaultInfinity: true })), {
        maxLength: 8,
      }),
      async (incs, sets, observations) => {
        const render = (kit: Kit) => {
          const counter = kit.counter({ name: "c_total", help: "c", labelNames: ["a", "b"] });
          for (const [a, b, by] of incs) counter.inc({ a, b }, by);
          const gauge = kit.gauge({ name: "g", help: "g", labelNames: ["a"] });
          for (const [a, v] of sets) gauge.set({ a }, v);
          const histogram = kit.histogram({
            name: "h_seconds",
            help: "h",
            labelNames: ["a"],
            buckets: [-0.5, 0, 0.5, 1e6],
          });
          for (const [a, v] of observations) histogram.observe({ a }, v);
          return kit.metrics();
        };
        assert.equal(await render(vigilKit()), await render(promClientKit()));
      },
    ),
    { numRuns: 300 },
  );
});
