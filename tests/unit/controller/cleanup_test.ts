import assert from "node:assert/strict";
import { cleanupStep } from "../../../src/controller/mod.ts";
import type { DefaultedDatabaseV1 } from "../../../src/database/mod.ts";
import type { KubeObject } from "../../../src/runtime/mod.ts";

const db = (policy: "Retain" | "Delete") =>
  ({
    metadata: { name: "orders", namespace: "shop" },
    spec: { engine: "postgres", replicas: 1, storageSize: "1Gi", pvcDeletionPolicy: policy },
  }) as DefaultedDatabaseV1;

const o = (kind: string, name: string, deleting = false): KubeObject => ({
  kind,
  metadata: { name, ...(deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
});

function world(objects: KubeObject[]) {
  return (kind: string) => objects.filter((x) => x.kind === kind);
}

Deno.test("cleanup deletes in order: CronJob, Services and PDB, StatefulSet, then config and secret", () => {
  const all = [
    o("CronJob", "orders-backup"),
    o("Service", "orders"),
    o("PodDisruptionBudget", "orders"),
    o("StatefulSet", "orders"),
    o("ConfigMap", "orders-config"),
    o("Secret", "orders-credentials"),
  ];
  const order: string[] = [];
  let objects = all;
  for (let i = 0; i < 10; i++) {
    const step = cleanupStep(db("Retain"), world(objects));
    if (step.type === "done") break;
    assert.equal(step.type, "delete");
    if (step.type !== "delete") break;
    order.push(step.objects.map((x) => x.kind).join("+"));
    objects = objects.filter((x) => !step.objects.includes(x));
  }
  assert.deepEqual(order, [
    "CronJob",
    "Service+PodDisruptionBudget",
    "StatefulSet",
    "ConfigMap+Secret",
  ]);
});

Deno.test("cleanup waits for the StatefulSet's pods before deleting the Secret", () => {
  const step = cleanupStep(
    db("Retain"),
    world([o("Pod", "orders-0", true), o("Secret", "orders-credentials")]),
  );
  assert.equal(step.type, "wait");
});

Deno.test("cleanup waits while an object it deleted is still going", () => {
  const step = cleanupStep(db("Retain"), world([o("StatefulSet", "orders", true)]));
  assert.deepEqual(step.type, "wait");
});

Deno.test("PVCs are deleted only with pvcDeletionPolicy Delete", () => {
  const pvcs = world([o("PersistentVolumeClaim", "data-orders-0")]);
  assert.equal(cleanupStep(db("Retain"), pvcs).type, "done");
  const step = cleanupStep(db("Delete"), pvcs);
  assert.equal(step.type, "delete");
});
