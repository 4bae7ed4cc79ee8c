import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { registerDatabaseMetrics } from "../../../src/controller/database_metrics.ts";
import { type KubeObject, Writer } from "../../../src/runtime/mod.ts";

function database(name: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "vigil.dev/v1",
    kind: "Database",
    metadata: { name, namespace: "shop" },
    spec: { engine: "postgres" },
    ...extra,
  } as KubeObject;
}

/** Every sample line of the registry whose name starts with `prefix`, sorted. */
async function samples(registry: Registry, prefix: string): Promise<string[]> {
  return (await registry.metrics()).split("\n").filter((l) => l.startsWith(prefix)).sort();
}

function setup() {
  const databases = new Writer<KubeObject>();
  const cronJobs = new Writer<KubeObject>();
  const registry = new Registry();
  registerDatabaseMetrics(registry, { databases: databases.reader(), cronJobs: cronJobs.reader() });
  return { databases, cronJobs, registry };
}

Deno.test("condition gauges are 1 only for True conditions and report Ready 0 before any status", async () => {
  const { databases, registry } = setup();
  databases.apply(database("orders", {
    status: {
      conditions: [
        { type: "Ready", status: "True" },
        { type: "Degraded", status: "False" },
        { type: "BackupFailed", status: "Unknown" },
      ],
    },
  }));
  databases.apply(database("fresh"));
  const lines = await samples(registry, "vigil_database_status_condition{");
  const value = (name: string, condition: string) =>
    lines.find((l) => l.includes(`name="${name}"`) && l.includes(`condition="${condition}"`))
      ?.split(" ").at(-1);
  assert.equal(value("orders", "Ready"), "1");
  assert.equal(value("orders", "Degraded"), "0");
  assert.equal(value("orders", "BackupFailed"), "0");
  assert.equal(value("orders", "Available"), "0");
  assert.equal(value("fresh", "Ready"), "0");
  assert.equal(value("fresh", "BackupFailed"), undefined);
  assert.equal(lines.length, 4 + 1 + 4);
});

Deno.test("backup gauges: interval from the schedule, last success from the status, CronJob creation", async () => {
  const { databases, cronJobs, registry } = setup();
  databases.apply(database("orders", {
    spec: { engine: "postgres", backupSchedule: "0 3 * * 1-5" },
    status: { lastBackupTime: "2026-12-01T03:00:10Z" },
  }));
  databases.apply(database("unscheduled"));
  cronJobs.apply({
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: {
      name: "orders-backup",
      namespace: "shop",
      creationTimestamp: "2026-11-30T10:00:00Z",
    },
  } as KubeObject);
  assert.deepEqual(await samples(registry, "vigil_database_backup_"), [
    'vigil_database_backup_cronjob_created_timestamp_seconds{namespace="shop",name="orders"} ' +
    Date.parse("2026-11-30T10:00:00Z") / 1000,
    'vigil_database_backup_last_success_timestamp_seconds{namespace="shop",name="orders"} ' +
    Date.parse("2026-12-01T03:00:10Z") / 1000,
    `vigil_database_backup_schedule_interval_seconds{namespace="shop",name="orders"} ${3 * 86400}`,
  ]);
});

Deno.test("a deleted Database's series are gone at the next scrape", async () => {
  const { databases, cronJobs, registry } = setup();
  const spec = { engine: "postgres", backupSchedule: "@daily" };
  const status = {
    lastBackupTime: "2026-12-01T00:00:10Z",
    conditions: [{ type: "Ready", status: "True" }],
  };
  databases.apply(database("orders", { spec, status }));
  databases.apply(database("users", { spec, status }));
  for (const name of ["orders", "users"]) {
    cronJobs.apply({
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: {
        name: `${name}-backup`,
        namespace: "shop",
        creationTimestamp: "2026-11-30T00:00:00Z",
      },
    } as KubeObject);
  }
  const before = await samples(registry, "vigil_database_");
  assert.equal(before.filter((l) => l.includes('name="orders"')).length, 4 + 3);
  databases.delete("shop/orders");
  const after = await samples(registry, "vigil_database_");
  assert.deepEqual(after.filter((l) => l.includes('name="orders"')), []);
  assert.deepEqual(after, before.filter((l) => !l.includes('name="orders"')));
});
