import assert from "node:assert/strict";
import {
  actualStorage,
  computeStatus,
  rolledOut,
  type StatusObservation,
} from "../../../src/controller/mod.ts";
import { mergeConditions, progressOnly } from "../../../src/controller/mod.ts";
import type { LiveStatefulSet } from "../../../src/controller/observed_kinds.ts";
import type { DefaultedDatabaseV1 } from "../../../src/database/mod.ts";

const T0 = new Date("2026-12-01T10:00:00Z");
const T1 = new Date("2026-12-01T10:05:00Z");

function db(
  overrides: Partial<DefaultedDatabaseV1["spec"]> = {},
  status = {},
): DefaultedDatabaseV1 {
  return {
    apiVersion: "vigil.dev/v1",
    kind: "Database",
    metadata: { name: "orders", namespace: "shop", generation: 3, uid: "u1" },
    spec: {
      engine: "postgres",
      version: "17.5",
      replicas: 3,
      storageSize: "1Gi",
      pvcDeletionPolicy: "Retain",
      ...overrides,
    },
    status,
  } as DefaultedDatabaseV1;
}

function sts(ready: number, updated = ready, replicas = 3, generation = 2): LiveStatefulSet {
  return {
    metadata: { name: "orders", generation },
    spec: { replicas },
    status: {
      observedGeneration: generation,
      replicas,
      readyReplicas: ready,
      updatedReplicas: updated,
      currentRevision: updated === replicas ? "r2" : "r1",
      updateRevision: "r2",
    },
  };
}

function observe(o: Partial<StatusObservation> = {}): StatusObservation {
  return {
    db: db(),
    statefulSet: sts(3),
    pvcs: [],
    configHash: "abc",
    selector: "app.kubernetes.io/instance=orders",
    endpoints: { readWrite: "orders.shop.svc:5432", readOnly: "orders-headless.shop.svc:5432" },
    credentialsSecret: "orders-credentials",
    paused: false,
    now: T0,
    ...o,
  };
}

const cond = (s: ReturnType<typeof computeStatus>, type: string) =>
  s.conditions?.find((c) => c.type === type);

Deno.test("a fully rolled-out StatefulSet makes the Database Ready and Running with 3/3", () => {
  const s = computeStatus(observe());
  assert.equal(s.phase, "Running");
  assert.equal(s.ready, "3/3");
  assert.equal(s.readyReplicas, 3);
  assert.equal(s.currentVersion, "17.5");
  assert.equal(s.configHash, "abc");
  assert.equal(s.observedGeneration, 3);
  assert.equal(cond(s, "Ready")?.status, "True");
  assert.equal(cond(s, "Available")?.status, "True");
  assert.equal(cond(s, "Progressing")?.status, "False");
  assert.equal(cond(s, "Degraded")?.status, "False");
  for (const c of s.conditions ?? []) assert.equal(c.observedGeneration, 3);
});

Deno.test("a Database whose StatefulSet does not exist yet is Pending and not Ready", () => {
  const s = computeStatus(observe({ statefulSet: undefined }));
  assert.equal(s.phase, "Pending");
  assert.equal(s.ready, "0/3");
  assert.equal(cond(s, "Ready")?.status, "False");
  assert.equal(cond(s, "Ready")?.reason, "Creating");
  assert.equal(cond(s, "Progressing")?.status, "True");
  assert.equal(s.currentVersion, undefined);
});

Deno.test("a StatefulSet that has not observed its latest generation is not rolled out", () => {
  const stale = { ...sts(3), metadata: { name: "orders", generation: 5 } };
  assert.equal(rolledOut(stale, 3), false);
  assert.equal(rolledOut(sts(3), 3), true);
  assert.equal(rolledOut(sts(3), 4), false);
});

Deno.test("a version change reports Upgrading with progress and keeps currentVersion until done", () => {
  const running = db({ version: "17.5" }, { currentVersion: "17.4", phase: "Running" });
  const s = computeStatus(observe({ db: running, statefulSet: sts(2, 1) }));
  assert.equal(s.phase, "Upgrading");
  assert.equal(s.currentVersion, "17.4");
  assert.equal(cond(s, "Progressing")?.reason, "Upgrading");
  assert.equal(cond(s, "Progressing")?.message, "1/3 replicas on 17.5");
});

Deno.test("a permanent failure sets Degraded and Ready=False with its message, phase Failed", () => {
  const failure = { reason: "StorageClassNotFound", message: 'spec.storageClassName: "x" missing' };
  const s = computeStatus(observe({ failure }));
  assert.equal(s.phase, "Failed");
  assert.equal(cond(s, "Degraded")?.status, "True");
  assert.equal(cond(s, "Degraded")?.reason, "StorageClassNotFound");
  assert.equal(cond(s, "Ready")?.status, "False");
  assert.equal(s.message, failure.message);
});

Deno.test("a paused Database reports Progressing=False with reason Paused", () => {
  const s = computeStatus(observe({ paused: true, statefulSet: sts(1, 1) }));
  assert.equal(cond(s, "Progressing")?.reason, "Paused");
  assert.equal(s.message, "Paused");
});

Deno.test("the same observation later yields an identical status (no write when idle)", () => {
  const first = computeStatus(observe({ now: T0 }));
  const again = computeStatus(observe({ db: db({}, first), now: T1 }));
  assert.deepEqual(again, first);
});

Deno.test("lastTransitionTime moves only when a condition's status flips", () => {
  const prev = mergeConditions(undefined, [
    { type: "Ready", status: "False", reason: "Creating", message: "0/1" },
  ], { observedGeneration: 1, now: T0 });
  const sameStatus = mergeConditions(prev, [
    { type: "Ready", status: "False", reason: "ReplicasNotReady", message: "0/1" },
  ], { observedGeneration: 2, now: T1 });
  assert.equal(sameStatus[0]?.lastTransitionTime, "2026-12-01T10:00:00Z");
  assert.equal(sameStatus[0]?.observedGeneration, 2);
  const flipped = mergeConditions(prev, [
    { type: "Ready", status: "True", reason: "DatabaseReady", message: "1/1" },
  ], { observedGeneration: 2, now: T1 });
  assert.equal(flipped[0]?.lastTransitionTime, "2026-12-01T10:05:00Z");
});

Deno.test("a replica lost after Running makes the Database Degraded, still Running while one serves", () => {
  const running = db({}, computeStatus(observe()));
  const s = computeStatus(observe({ db: running, statefulSet: sts(2, 3) }));
  assert.equal(s.phase, "Running");
  assert.equal(cond(s, "Degraded")?.status, "True");
  assert.equal(cond(s, "Ready")?.status, "False");
});

Deno.test("actual storage is the smallest PVC capacity", () => {
  const pvc = (storage: string) => ({ status: { capacity: { storage } } });
  assert.equal(actualStorage([pvc("2Gi"), pvc("1536Mi"), pvc("2Gi")]), "1536Mi");
  assert.equal(actualStorage([{ status: {} }]), undefined);
});

Deno.test("creation progress pod by pod is a progress-only change; a condition flip is not", () => {
  const none = computeStatus(observe({ statefulSet: undefined }));
  const created = computeStatus(observe({ db: db({}, none), statefulSet: sts(0, 3) }));
  assert.equal(progressOnly(none, created), true);
  const oneReady = computeStatus(observe({ db: db({}, created), statefulSet: sts(1, 3) }));
  assert.equal(progressOnly(created, oneReady), false, "Available turns True");
  const twoReady = computeStatus(observe({ db: db({}, oneReady), statefulSet: sts(2, 3) }));
  assert.equal(progressOnly(oneReady, twoReady), true);
  const ready = computeStatus(observe({ db: db({}, twoReady), statefulSet: sts(3) }));
  assert.equal(progressOnly(twoReady, ready), false, "Ready turns True");
  assert.equal(progressOnly(undefined, none), false);
});

Deno.test("rolling back a stopped upgrade is Running, not Pending, while replicas serve", () => {
  const status = computeStatus(observe({
    db: db({ version: "16.9" }, { phase: "Upgrading", currentVersion: "16.9" }),
    statefulSet: sts(2, 2),
  }));
  assert.equal(status.phase, "Running");
});
