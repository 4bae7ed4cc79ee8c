import assert from "node:assert/strict";
import { RuntimeMetrics } from "../../../src/runtime/mod.ts";

/** The sample lines of `name` (exact metric name), sorted. */
async function samples(metrics: RuntimeMetrics, name: string): Promise<string[]> {
  return (await metrics.registry.metrics()).split("\n")
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).sort();
}

Deno.test("a controller's and a workqueue's counters exist at 0 before anything happened", async () => {
  const metrics = new RuntimeMetrics();
  metrics.controller("database");
  metrics.queue("database");
  assert.deepEqual(await samples(metrics, "controller_runtime_reconcile_total"), [
    'controller_runtime_reconcile_total{controller="database",result="error"} 0',
    'controller_runtime_reconcile_total{controller="database",result="requeue"} 0',
    'controller_runtime_reconcile_total{controller="database",result="requeue_after"} 0',
    'controller_runtime_reconcile_total{controller="database",result="success"} 0',
  ]);
  for (
    const name of [
      "controller_runtime_reconcile_errors_total",
      "controller_runtime_terminal_reconcile_errors_total",
      "controller_runtime_reconcile_panics_total",
    ]
  ) {
    assert.deepEqual(await samples(metrics, name), [`${name}{controller="database"} 0`]);
  }
  for (const name of ["workqueue_depth", "workqueue_adds_total", "workqueue_retries_total"]) {
    assert.deepEqual(await samples(metrics, name), [
      `${name}{name="database",controller="database"} 0`,
    ]);
  }
});

Deno.test("the initial series count up from 0", async () => {
  const metrics = new RuntimeMetrics();
  const controller = metrics.controller("database");
  const queue = metrics.queue("database");
  controller.error("terminal");
  controller.reconcile("requeue", 0.1);
  queue.retry();
  queue.retry();
  assert.deepEqual(await samples(metrics, "controller_runtime_terminal_reconcile_errors_total"), [
    'controller_runtime_terminal_reconcile_errors_total{controller="database"} 1',
  ]);
  assert.ok(
    (await samples(metrics, "controller_runtime_reconcile_total"))
      .includes('controller_runtime_reconcile_total{controller="database",result="requeue"} 1'),
  );
  assert.deepEqual(await samples(metrics, "workqueue_retries_total"), [
    'workqueue_retries_total{name="database",controller="database"} 2',
  ]);
});
