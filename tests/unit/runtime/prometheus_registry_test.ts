import assert from "node:assert/strict";
import {
  Counter,
  Gauge,
  Histogram,
  PROMETHEUS_CONTENT_TYPE,
  Registry,
} from "../../../src/runtime/mod.ts";

Deno.test("the registry renders HELP, TYPE and samples per family, in registration order", () => {
  const registry = new Registry();
  const jobs = registry.register(
    new Counter({ name: "jobs_total", help: "Jobs run", labelNames: ["queue"] }),
  );
  registry.register(new Gauge({ name: "up", help: "Always 1", collect: (g) => g.set({}, 1) }));
  jobs.inc({ queue: "mail" });
  jobs.inc({ queue: "mail" }, 2);
  assert.equal(
    registry.metrics(),
    "# HELP jobs_total Jobs run\n# TYPE jobs_total counter\n" +
      'jobs_total{queue="mail"} 3\n\n' +
      "# HELP up Always 1\n# TYPE up gauge\nup 1\n",
  );
  assert.equal(registry.contentType, "text/plain; version=0.0.4; charset=utf-8");
  assert.equal(PROMETHEUS_CONTENT_TYPE, registry.contentType);
});

Deno.test("a second metric of the same name is refused, naming it", () => {
  const registry = new Registry();
  registry.register(new Gauge({ name: "g", help: "g" }));
  assert.throws(
    () => registry.register(new Counter({ name: "g", help: "again" })),
    /Cannot register metric "g": a metric of that name has already been registered/,
  );
});

Deno.test("NaN renders as the text format spells it (prom-client wrote Nan)", () => {
  const registry = new Registry();
  registry.register(new Gauge({ name: "ratio", help: "r" })).set({}, NaN);
  assert.match(registry.metrics(), /^ratio NaN$/m);
});

Deno.test("a histogram counts a value equal to a bound in that bound's bucket, cumulatively", () => {
  const registry = new Registry();
  const h = registry.register(new Histogram({ name: "h", help: "h", buckets: [1, 2, Infinity] }));
  for (const v of [0.5, 1, 1.5, 2, 3]) h.observe({}, v);
  assert.deepEqual(registry.metrics().split("\n").filter((l) => !l.startsWith("#")), [
    'h_bucket{le="1"} 2',
    'h_bucket{le="2"} 4',
    'h_bucket{le="+Inf"} 5',
    "h_sum 8",
    "h_count 5",
    "",
  ]);
});

Deno.test("a collecting gauge's reset drops the series of what is gone", () => {
  const live = new Set(["a", "b"]);
  const registry = new Registry();
  registry.register(
    new Gauge({
      name: "present",
      help: "p",
      labelNames: ["name"],
      collect(gauge) {
        gauge.reset();
        for (const name of live) gauge.set({ name }, 1);
      },
    }),
  );
  assert.match(registry.metrics(), /present\{name="a"\} 1\npresent\{name="b"\} 1\n$/);
  live.delete("a");
  assert.match(registry.metrics(), /# TYPE present gauge\npresent\{name="b"\} 1\n$/);
});

Deno.test("bad names, labels, buckets and values are refused with what is accepted", () => {
  assert.throws(
    () => new Counter({ name: "2xx_total", help: "h" }),
    /metric "2xx_total": a metric name must match \[a-zA-Z_:\]\[a-zA-Z0-9_:\]\*/,
  );
  assert.throws(
    () => new Gauge({ name: "g", help: "h", labelNames: ["a-b"] }),
    /label name "a-b" must match/,
  );
  assert.throws(
    () => new Gauge({ name: "g", help: "h", labelNames: ["__x"] }),
    /not start with "__"/,
  );
  assert.throws(() => new Gauge({ name: "g", help: "h", labelNames: ["a", "a"] }), /twice/);
  assert.throws(() => new Gauge({ name: "g", help: "" }), /help must not be empty/);
  assert.throws(
    () => new Histogram({ name: "h", help: "h", labelNames: ["le"] }),
    /"le" is a reserved label/,
  );
  assert.throws(
    () => new Histogram({ name: "h", help: "h", buckets: [1, 1] }),
    /buckets \[1, 1\] must be finite and strictly increasing/,
  );
  const counter = new Counter({ name: "c_total", help: "h", labelNames: ["a", "b"] });
  assert.throws(
    () => counter.inc({ a: "x", b: "y" }, -1),
    /Cannot increase counter "c_total" by -1/,
  );
  assert.throws(() => counter.inc({ a: "x", b: "y" }, NaN), /by NaN/);
  assert.throws(
    () => counter.inc({ a: "x" } as { a: string; b: string }),
    /label "b" has no value \(labels: a, b\)/,
  );
  assert.throws(
    () => counter.inc({ a: "x", b: "y", c: "z" } as { a: string; b: string }),
    /label "c" is not one of its labels \(a, b\)/,
  );
  assert.throws(() => counter.labels("x"), /got 1 label values for 2 labels \(a, b\)/);
  const histogram = new Histogram({ name: "h", help: "h", labelNames: ["a"] });
  assert.throws(
    () => histogram.observe({ a: "x" }, Infinity),
    /Cannot observe Infinity in histogram "h"/,
  );
  // A refused update leaves no series behind.
  const registry = new Registry();
  registry.register(counter);
  registry.register(histogram);
  assert.doesNotMatch(registry.metrics(), /\{/);
});
