import assert from "node:assert/strict";
import {
  CLEANUP_FINALIZER,
  DatabaseReconciler,
  PAUSED_ANNOTATION,
} from "../../../src/controller/mod.ts";
import type { Applier } from "../../../src/controller/apply/mod.ts";
import { OWNED_KINDS } from "../../../src/controller/mod.ts";
import { InvalidError, type KubeClient } from "../../../src/kube/mod.ts";
import {
  FakeClock,
  type KubeObject,
  type ReconcileContext,
  Writer,
} from "../../../src/runtime/mod.ts";
import { getLogger, setupLogging } from "../../../src/observability/log.ts";

setupLogging({ write: () => {} });

interface Call {
  readonly verb: "apply" | "applyStatus" | "delete" | "patch";
  readonly kind: string;
  readonly name: string;
  readonly body?: unknown;
}

/** A world of caches and a recording API: writes land in the caches like an informer would. */
function world(options: { refuse?: (obj: KubeObject) => boolean } = {}) {
  const clock = new FakeClock(Date.parse("2026-12-01T00:00:00Z"));
  const databases = new Writer<KubeObject>();
  const owned = new Map(OWNED_KINDS.map(([, kind]) => [kind, new Writer<KubeObject>()]));
  const calls: Call[] = [];
  const events: string[] = [];
  let rv = 100;
  const land = (obj: KubeObject): KubeObject => {
    const kind = obj.kind ?? "";
    const writer = kind === "Database" ? databases : owned.get(kind)!;
    const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
    const old = writer.reader().get(key);
    const merged = structuredClone({
      ...old,
      ...obj,
      metadata: {
        ...old?.metadata,
        ...obj.metadata,
        uid: old?.metadata?.uid ?? `uid-${rv}`,
        resourceVersion: String(++rv),
      },
    });
    writer.apply(merged);
    return merged;
  };
  const applier = {
    apply(obj: KubeObject) {
      calls.push({
        verb: "apply",
        kind: obj.kind ?? "",
        name: obj.metadata?.name ?? "",
        body: obj,
      });
      if (options.refuse?.(obj)) {
        return Promise.reject(
          new InvalidError(
            `StatefulSet.apps "x" is invalid: spec.template.spec.containers[0].image`,
            {
              status: 422,
            },
          ),
        );
      }
      return Promise.resolve(land(obj));
    },
    applyStatus(_resource: unknown, obj: KubeObject) {
      calls.push({
        verb: "applyStatus",
        kind: "Database",
        name: obj.metadata?.name ?? "",
        body: obj,
      });
      const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
      const current = databases.reader().get(key)!;
      return Promise.resolve(land({ ...current, status: obj.status }));
    },
    delete(ref: { kind: string; namespace: string; name: string }) {
      calls.push({ verb: "delete", kind: ref.kind, name: ref.name });
      owned.get(ref.kind)!.delete(`${ref.namespace}/${ref.name}`);
      return Promise.resolve();
    },
  } as unknown as Applier;
  const client = {
    request(_method: string, path: string, o: { body?: unknown } = {}) {
      calls.push({ verb: "patch", kind: "Database", name: path, body: o.body });
      return Promise.resolve({});
    },
  } as unknown as Pick<KubeClient, "request">;
  const reconciler = new DatabaseReconciler({
    caches: {
      databases: databases.reader(),
      owned: new Map([...owned].map(([k, w]) => [k, w.reader()])),
      storageClassExists: (name) => name !== "missing",
    },
    applier,
    client,
    events: { event: (_o, type, reason) => events.push(`${type} ${reason}`) },
    clock,
  });
  const ctx: ReconcileContext = {
    signal: new AbortController().signal,
    log: getLogger("test"),
    reconcileId: "r",
    key: "shop/orders",
  };
  const run = () => reconciler.reconcile({ namespace: "shop", name: "orders" }, ctx);
  const addDatabase = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) =>
    databases.apply(structuredClone({
      apiVersion: "vigil.dev/v1",
      kind: "Database",
      metadata: { name: "orders", namespace: "shop", uid: "db-uid", generation: 1, ...metadata },
      spec: { engine: "postgres", replicas: 1, storageSize: "1Gi", ...spec },
    }));
  return { calls, events, databases, owned, run, addDatabase, clock };
}

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
