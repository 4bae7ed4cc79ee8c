import assert from "node:assert/strict";
import { CLEANUP_FINALIZER, PAUSED_ANNOTATION } from "../../../src/controller/mod.ts";
import type { KubeObject } from "../../../src/runtime/mod.ts";
import { world } from "./_world.ts";

Deno.test("the finalizer is added before any owned object is created", async () => {
  const w = world();
  w.addDatabase({});
  await w.run();
  const first = w.calls[0];
  assert.equal(first?.verb, "apply");
  assert.equal(first?.kind, "Database");
  assert.deepEqual(
    (first?.body as KubeObject).metadata?.finalizers,
    [CLEANUP_FINALIZER],
  );
  const kinds = w.calls.slice(1).filter((c) => c.verb === "apply").map((c) => c.kind);
  assert.deepEqual(kinds, ["Secret", "ConfigMap", "Service", "Service", "StatefulSet"]);
  assert.equal(w.calls.at(-1)?.verb, "applyStatus");
  assert.deepEqual(w.events, ["Normal Created"]);
});

Deno.test("a new Database's objects go out together: one round trip, not one per object", async () => {
  const w = world();
  w.addDatabase({ replicas: 3, backupSchedule: "@daily" });
  await w.run();
  const owned = w.timeline.slice(w.timeline.indexOf("done Database") + 1);
  const sent = owned.filter((e) => e.startsWith("start "));
  assert.deepEqual(
    owned.slice(0, sent.length),
    ["Secret", "ConfigMap", "Service", "Service", "StatefulSet", "PodDisruptionBudget"]
      .concat(["PersistentVolumeClaim", "CronJob"])
      .map((k) => `start ${k}`),
  );
});

Deno.test("a second reconcile of an unchanged world sends no request at all", async () => {
  const w = world();
  w.addDatabase({ replicas: 3, backupSchedule: "@daily" });
  await w.run();
  const firstPass = w.calls.length;
  await w.run();
  await w.run();
  assert.equal(w.calls.length, firstPass, JSON.stringify(w.calls.slice(firstPass)));
});

Deno.test("the password of an existing Secret is kept, never regenerated", async () => {
  const w = world();
  w.addDatabase({});
  await w.run();
  const secret = w.owned.get("Secret")!.reader().get("shop/orders-credentials")!;
  const password = (secret.data as Record<string, string>).password;
  w.owned.get("ConfigMap")!.delete("shop/orders-config");
  await w.run();
  const again = w.owned.get("Secret")!.reader().get("shop/orders-credentials")!;
  assert.equal((again.data as Record<string, string>).password, password);
});

Deno.test("a paused Database gets no change to its objects, only its status", async () => {
  const w = world();
  w.addDatabase({}, { annotations: { [PAUSED_ANNOTATION]: "true" } });
  await w.run();
  const verbs = w.calls.map((c) => `${c.verb} ${c.kind}`);
  assert.deepEqual(verbs, ["apply Database", "applyStatus Database"]);
  const db = w.databases.reader().get("shop/orders")!;
  const progressing = (db.status as { conditions: { type: string; reason: string }[] }).conditions
    .find((c) => c.type === "Progressing");
  assert.equal(progressing?.reason, "Paused");
});

Deno.test("a refused object is a permanent failure: Degraded, one event, no retry storm", async () => {
  const w = world({ refuse: (o) => o.kind === "StatefulSet" });
  w.addDatabase({ image: "bad" });
  const result = await w.run();
  assert.deepEqual(result, {});
  const db = w.databases.reader().get("shop/orders")!;
  const status = db.status as { phase: string; conditions: { type: string; status: string }[] };
  assert.equal(status.phase, "Failed");
  assert.equal(status.conditions.find((c) => c.type === "Degraded")?.status, "True");
  assert.deepEqual(w.events.filter((e) => e.startsWith("Warning")), ["Warning ReconcileFailed"]);
  // Events of other objects wake it again: the refused object is not sent again, nothing is.
  const before = w.calls.length;
  for (let i = 0; i < 5; i++) await w.run();
  assert.deepEqual(w.events.filter((e) => e.startsWith("Warning")), ["Warning ReconcileFailed"]);
  assert.deepEqual(w.calls.slice(before), []);
  // A change to the spec tries again.
  w.addDatabase({ image: "good" }, { generation: 2, finalizers: [CLEANUP_FINALIZER] });
  await w.run();
  assert.ok(w.calls.slice(before).some((c) => c.kind === "StatefulSet"));
});

Deno.test("a missing StorageClass is reported naming the field and value, and nothing is created", async () => {
  const w = world();
  w.addDatabase({ storageClassName: "missing" });
  await w.run();
  assert.ok(!w.calls.some((c) => c.kind === "StatefulSet"));
  const db = w.databases.reader().get("shop/orders")!;
  assert.match(
    String((db.status as { message: string }).message),
    /spec\.storageClassName.*missing/,
  );
});

Deno.test("scaling to 1 removes the PDB that 3 replicas had", async () => {
  const w = world();
  w.addDatabase({ replicas: 3 });
  await w.run();
  assert.ok(w.owned.get("PodDisruptionBudget")!.reader().get("shop/orders"));
  w.addDatabase({ replicas: 1 }, { generation: 2, finalizers: [CLEANUP_FINALIZER] });
  await w.run();
  assert.equal(w.owned.get("PodDisruptionBudget")!.reader().get("shop/orders"), undefined);
  assert.ok(w.events.includes("Normal ScalingDown"));
});

Deno.test("deletion runs the ordered cleanup and then removes the finalizer with a tested JSON patch", async () => {
  const w = world();
  w.addDatabase({ backupSchedule: "@daily", pvcDeletionPolicy: "Delete" });
  await w.run();
  const live = w.databases.reader().get("shop/orders")!;
  w.databases.apply(structuredClone({
    ...live,
    metadata: { ...live.metadata, deletionTimestamp: "2026-12-01T00:00:00Z" },
  }));
  const deleted: string[] = [];
  for (let i = 0; i < 10; i++) {
    const before = w.calls.length;
    await w.run();
    deleted.push(...w.calls.slice(before).filter((c) => c.verb === "delete").map((c) => c.kind));
    if (w.calls.some((c) => c.verb === "patch")) break;
  }
  assert.deepEqual(
    deleted,
    [
      "CronJob",
      "Service",
      "Service",
      "StatefulSet",
      "Secret",
      "ConfigMap",
      "PersistentVolumeClaim",
    ].sort((a, b) => deleted.indexOf(a) - deleted.indexOf(b)),
  );
  assert.equal(deleted[0], "CronJob");
  assert.ok(deleted.indexOf("StatefulSet") < deleted.indexOf("Secret"));
  assert.equal(deleted.at(-1), "PersistentVolumeClaim");
  const patch = w.calls.find((c) => c.verb === "patch")!;
  assert.deepEqual(patch.body, [
    { op: "test", path: "/metadata/finalizers/0", value: CLEANUP_FINALIZER },
    { op: "remove", path: "/metadata/finalizers/0" },
  ]);
  assert.ok(w.events.includes("Normal Deleting"));
});

Deno.test("cleanup that cannot finish is bounded: CleanupTimeout, then the finalizer goes", async () => {
  const w = world();
  w.addDatabase({});
  await w.run();
  const live = w.databases.reader().get("shop/orders")!;
  w.databases.apply(structuredClone({
    ...live,
    metadata: { ...live.metadata, deletionTimestamp: "2026-12-01T00:00:00Z" },
  }));
  // A pod that never goes away keeps cleanup waiting.
  w.owned.get("Pod")!.apply({
    kind: "Pod",
    metadata: {
      name: "orders-0",
      namespace: "shop",
      labels: {
        "app.kubernetes.io/instance": "orders",
        "app.kubernetes.io/name": "postgres",
        "app.kubernetes.io/component": "database",
      },
    },
  });
  for (let i = 0; i < 5; i++) await w.run();
  assert.ok(!w.calls.some((c) => c.verb === "patch"), "still waiting for the pod");
  await w.clock.advance(300_000);
  await w.run();
  assert.ok(w.events.includes("Warning CleanupTimeout"));
  assert.ok(w.calls.some((c) => c.verb === "patch"));
});

Deno.test("while a Database is created, progress-only status changes wait for the next transition", async () => {
  const w = world();
  w.addDatabase({});
  await w.run();
  const statusWrites = () => w.calls.filter((c) => c.verb === "applyStatus").length;
  assert.equal(statusWrites(), 1);
  // The StatefulSet controller creates the pod: replicas 0 → 1, nothing Ready yet.
  const sts = w.owned.get("StatefulSet")!.reader().get("shop/orders")!;
  w.owned.get("StatefulSet")!.apply(structuredClone({
    ...sts,
    status: { observedGeneration: sts.metadata?.generation ?? 1, replicas: 1, updatedReplicas: 1 },
  }));
  const result = await w.run();
  assert.equal(statusWrites(), 1, "held");
  assert.ok((result.requeueAfterMs ?? 0) > 1_000, JSON.stringify(result));
  await w.clock.advance(2_000);
  await w.run();
  assert.equal(statusWrites(), 1, "still held after the normal 1 s window");
  await w.clock.advance(20_000);
  await w.run();
  assert.equal(
    statusWrites(),
    1,
    "still held 22 s in: a volume can take that long on a busy cluster",
  );
  await w.clock.advance(10_000);
  await w.run();
  assert.equal(statusWrites(), 1, "pods created is no column: held past the 30 s window");
  await w.clock.advance(267_000);
  await w.run();
  assert.equal(statusWrites(), 1, "still held 299 s in");
  await w.clock.advance(1_000);
  await w.run();
  assert.equal(statusWrites(), 2, "written once the 300 s bound has passed");
  const written = w.databases.reader().get("shop/orders")!.status as { replicas: number };
  assert.equal(written.replicas, 1);
});

Deno.test("while a Database is created, a replica turning Ready is written within 30 s", async () => {
  const w = world();
  w.addDatabase({ replicas: 3 });
  await w.run();
  const statusWrites = () => w.calls.filter((c) => c.verb === "applyStatus").length;
  assert.equal(statusWrites(), 1);
  const sts = w.owned.get("StatefulSet")!.reader().get("shop/orders")!;
  const report = (replicas: number, readyReplicas: number) =>
    w.owned.get("StatefulSet")!.apply(structuredClone({
      ...sts,
      status: {
        observedGeneration: sts.metadata?.generation ?? 1,
        replicas,
        readyReplicas,
        updatedReplicas: replicas,
      },
    }));
  report(1, 1); // Available turns True: a transition, written at once
  await w.run();
  assert.equal(statusWrites(), 2);
  report(2, 2); // 2/3 ready: progress only
  await w.run();
  assert.equal(statusWrites(), 2, "held");
  await w.clock.advance(29_000);
  await w.run();
  assert.equal(statusWrites(), 2, "held 29 s in");
  await w.clock.advance(1_000);
  await w.run();
  assert.equal(statusWrites(), 3, "READY moved: written once the 30 s window has passed");
  const written = w.databases.reader().get("shop/orders")!.status as { ready: string };
  assert.equal(written.ready, "2/3");
});
