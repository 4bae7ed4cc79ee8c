import assert from "node:assert/strict";
import { ForbiddenError } from "../../../src/kube/mod.ts";
import type { KubeObject } from "../../../src/runtime/mod.ts";
import { world } from "./_world.ts";

type W = ReturnType<typeof world>;
type Sts = KubeObject & {
  spec: {
    replicas: number;
    updateStrategy: { rollingUpdate: { partition: number } };
    template: { spec: { containers: Array<{ image: string }> } };
  };
};

const NOW = Date.parse("2026-12-01T00:00:00Z");

/** Changes the Database's spec as a user would: generation bumped, status kept. */
function edit(w: W, spec: Record<string, unknown>) {
  const db = structuredClone(w.databases.reader().get("shop/orders")!);
  w.databases.apply({
    ...db,
    metadata: { ...db.metadata, generation: ((db.metadata?.generation as number) ?? 1) + 1 },
    spec: { ...(db.spec as object), ...spec },
  });
}

/** Runs until the world is created, then plays the StatefulSet controller: 3 Ready pods on `revision`. */
async function running(w: W, revision = "r1", version = "16.9") {
  w.addDatabase({ replicas: 3, version });
  await w.run();
  settle(w, { revision, current: revision, ready: [revision, revision, revision] });
  // Let the status say Running on `version`.
  await w.clock.advance(5_000);
  await w.run();
  await w.run();
}

/** The StatefulSet controller's view: revisions, status and pods. */
function settle(
  w: W,
  o: {
    revision: string;
    current: string;
    ready: Array<string | { revision: string; ready: false; since?: number; reason?: string }>;
  },
) {
  const stsStore = w.owned.get("StatefulSet")!;
  const sts = stsStore.reader().get("shop/orders")! as Sts;
  const generation = (sts.metadata?.generation as number | undefined) ?? 1;
  const pods = o.ready.map((p) =>
    typeof p === "string" ? { revision: p, ready: true as const } : p
  );
  stsStore.apply(structuredClone({
    ...sts,
    metadata: { ...sts.metadata, generation },
    status: {
      observedGeneration: generation,
      replicas: pods.length,
      readyReplicas: pods.filter((p) => p.ready).length,
      updatedReplicas: pods.filter((p) => p.revision === o.revision).length,
      currentRevision: o.current,
      updateRevision: o.revision,
    },
  }));
  const podStore = w.owned.get("Pod")!;
  pods.forEach((p, i) => {
    const since = new Date("since" in p && p.since !== undefined ? p.since : NOW).toISOString();
    podStore.apply({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: `orders-${i}`,
        namespace: "shop",
        uid: `pod-${i}-${p.revision}`,
        creationTimestamp: since,
        labels: {
          "app.kubernetes.io/name": "postgres",
          "app.kubernetes.io/instance": "orders",
          "app.kubernetes.io/component": "database",
          "app.kubernetes.io/managed-by": "vigil",
          "controller-revision-hash": p.revision,
        },
      },
      status: {
        conditions: [{
          type: "Ready",
          status: p.ready ? "True" : "False",
          lastTransitionTime: since,
        }],
        containerStatuses: "reason" in p && p.reason !== undefined
          ? [{ name: "postgres", ready: false, state: { waiting: { reason: p.reason } } }]
          : [],
      },
    });
  });
}

function stsOf(w: W): Sts {
  return w.owned.get("StatefulSet")!.reader().get("shop/orders") as Sts;
}

function degraded(w: W) {
  const db = w.databases.reader().get("shop/orders")!;
  return (db.status as {
    conditions: Array<{ type: string; status: string; reason: string; message: string }>;
  })
    .conditions.find((c) => c.type === "Degraded");
}

Deno.test("a version change applies the new template with the partition at the highest ordinal, once", async () => {
  const w = world();
  await running(w);
  const before = w.calls.length;
  edit(w, { replicas: 3, version: "17.5" });
  await w.run();
  const applied = w.calls.slice(before).filter((c) => c.kind === "StatefulSet");
  assert.equal(applied.length, 1);
  const sts = stsOf(w);
  assert.equal(sts.spec.updateStrategy.rollingUpdate.partition, 2);
  assert.match(sts.spec.template.spec.containers[0]!.image, /postgres:17\.5$/);
  assert.ok(w.events.includes("Normal UpgradeStarted"), w.events.join());
  // The StatefulSet controller has not observed it yet: nothing more.
  const after = w.calls.length;
  await w.run();
  assert.deepEqual(w.calls.slice(after).filter((c) => c.kind === "StatefulSet"), []);
});

Deno.test("each replica Ready on the new revision lowers the partition by one; the last completes the upgrade", async () => {
  const w = world();
  await running(w);
  edit(w, { replicas: 3, version: "17.5" });
  await w.run();
  settle(w, { revision: "r2", current: "r1", ready: ["r1", "r1", "r2"] });
  await w.run();
  assert.equal(stsOf(w).spec.updateStrategy.rollingUpdate.partition, 1);
  settle(w, { revision: "r2", current: "r1", ready: ["r1", "r2", "r2"] });
  await w.run();
  assert.equal(stsOf(w).spec.updateStrategy.rollingUpdate.partition, 0);
  settle(w, { revision: "r2", current: "r2", ready: ["r2", "r2", "r2"] });
  await w.clock.advance(5_000);
  await w.run();
  const db = w.databases.reader().get("shop/orders")!;
  assert.equal((db.status as { currentVersion: string }).currentVersion, "17.5");
  assert.ok(w.events.includes("Normal UpgradeCompleted"), w.events.join());
});

Deno.test("a replica not Ready within the bound: Degraded naming pod, version and reason, one warning, then silence", async () => {
  const w = world({ reconciler: { replicaReadyTimeoutMs: 60_000 } });
  await running(w);
  edit(w, { replicas: 3, version: "17.5" });
  await w.run();
  settle(w, {
    revision: "r2",
    current: "r1",
    ready: ["r1", "r1", { revision: "r2", ready: false, since: NOW, reason: "ImagePullBackOff" }],
  });
  const waiting = await w.run();
  assert.ok((waiting.requeueAfterMs ?? 0) > 0, "rechecks at the deadline");
  await w.clock.advance(61_000);
  await w.run();
  const d = degraded(w)!;
  assert.equal(d.status, "True");
  assert.equal(d.reason, "UpgradeFailed");
  assert.match(d.message, /orders-2 did not become Ready on 17\.5/);
  assert.match(d.message, /ImagePullBackOff/);
  assert.match(d.message, /stay on 16\.9/);
  assert.equal(stsOf(w).spec.updateStrategy.rollingUpdate.partition, 2);
  assert.deepEqual(w.events.filter((e) => e.startsWith("Warning")), ["Warning UpgradeFailed"]);
  const before = w.calls.length;
  for (let i = 0; i < 5; i++) {
    await w.clock.advance(60_000);
    assert.deepEqual(await w.run(), {});
  }
  assert.deepEqual(w.calls.slice(before), []);
  assert.deepEqual(w.events.filter((e) => e.startsWith("Warning")), ["Warning UpgradeFailed"]);
});

Deno.test("setting the version back reapplies the old template and deletes the broken replica", async () => {
  const w = world({ reconciler: { replicaReadyTimeoutMs: 60_000 } });
  await running(w);
  edit(w, { replicas: 3, version: "17.5" });
  await w.run();
  const broken = { revision: "r2", ready: false as const, since: NOW, reason: "ImagePullBackOff" };
  settle(w, { revision: "r2", current: "r1", ready: ["r1", "r1", broken] });
  await w.clock.advance(61_000);
  await w.run();
  edit(w, { replicas: 3, version: "16.9" });
  await w.run();
  assert.match(stsOf(w).spec.template.spec.containers[0]!.image, /postgres:16\.9$/);
  assert.ok(w.events.includes("Normal RollbackStarted"), w.events.join());
  // The old template is the update revision again; the broken pod is on neither.
  settle(w, { revision: "r1", current: "r1", ready: ["r1", "r1", broken] });
  const before = w.calls.length;
  await w.run();
  const deletes = w.calls.slice(before).filter((c) => c.verb === "delete");
  assert.deepEqual(deletes, [{
    verb: "delete",
    kind: "Pod",
    name: "orders-2",
    body: { uid: "pod-2-r2", propagationPolicy: undefined },
  }]);
  settle(w, { revision: "r1", current: "r1", ready: ["r1", "r1", "r1"] });
  await w.clock.advance(5_000);
  await w.run();
  assert.equal(degraded(w)?.status, "False");
});

/** A running Database with 3 expandable 1Gi claims, in a world that answers PVC patches. */
async function withClaims(lagDeletes = false): Promise<W> {
  const w = world({
    lagDeletes,
    allowsExpansion: () => true,
    request: (_m, path, body) => ({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: {
        name: path.split("/").at(-1),
        namespace: "shop",
        resourceVersion: "999",
        labels: { "app.kubernetes.io/instance": "orders" },
      },
      ...(body as object),
    }),
  });
  await running(w);
  for (let i = 0; i < 3; i++) {
    w.owned.get("PersistentVolumeClaim")!.apply({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: {
        name: `data-orders-${i}`,
        namespace: "shop",
        resourceVersion: "10",
        labels: {
          "app.kubernetes.io/name": "postgres",
          "app.kubernetes.io/instance": "orders",
          "app.kubernetes.io/component": "database",
        },
      },
      spec: { storageClassName: "standard", resources: { requests: { storage: "1Gi" } } },
      status: { capacity: { storage: "1Gi" } },
    });
  }
  return w;
}

interface DbStatus {
  observedGeneration?: number;
  readyReplicas?: number;
  configHash?: string;
  conditions: Array<{ type: string; status: string; reason: string; observedGeneration: number }>;
}

function statusOf(w: W): { generation: number; status: DbStatus } {
  const db = w.databases.reader().get("shop/orders")!;
  return { generation: db.metadata?.generation as number, status: db.status as DbStatus };
}

Deno.test("storage growth patches each PVC once, then recreates the StatefulSet orphaning its pods", async () => {
  const w = await withClaims();
  edit(w, { replicas: 3, version: "16.9", storageSize: "2Gi" });
  const before = w.calls.length;
  await w.run();
  const patches = w.calls.slice(before).filter((c) => c.kind === "PersistentVolumeClaim");
  assert.deepEqual(patches.map((c) => c.name.split("/").at(-1)), [
    "data-orders-0",
    "data-orders-1",
    "data-orders-2",
  ]);
  // Next look (the patched claims known, before the cache has them): nothing
  // is patched twice, and the requests were accepted, so the StatefulSet is
  // deleted with propagationPolicy Orphan.
  const sts = stsOf(w);
  const again = w.calls.length;
  await w.run();
  assert.deepEqual(w.calls.slice(again).filter((c) => c.kind === "PersistentVolumeClaim"), []);
  const deletes = w.calls.slice(again).filter((c) => c.verb === "delete");
  assert.deepEqual(deletes, [{
    verb: "delete",
    kind: "StatefulSet",
    name: "orders",
    body: { uid: sts.metadata?.uid, propagationPolicy: "Orphan" },
  }]);
  // Gone: recreated with the new claim size.
  await w.run();
  const recreated = w.owned.get("StatefulSet")!.reader().get("shop/orders") as KubeObject & {
    spec: {
      volumeClaimTemplates: Array<{ spec: { resources: { requests: { storage: string } } } }>;
    };
  };
  assert.equal(recreated.spec.volumeClaimTemplates[0]!.spec.resources.requests.storage, "2Gi");
});

Deno.test("while the StatefulSet is recreated, status answers each new generation with the counters it had, and never reports a pending rollout done", async () => {
  const w = await withClaims();
  const ready = (s: DbStatus) => s.conditions.find((c) => c.type === "Ready");
  const before = statusOf(w).status;
  assert.equal(ready(before)?.status, "True");
  edit(w, { replicas: 3, version: "16.9", storageSize: "2Gi" });
  await w.run(); // claims patched
  await w.run(); // StatefulSet deleted, orphaning its pods
  await w.run(); // recreated; its controller has not written a status yet
  assert.equal(stsOf(w).status, undefined);
  let { generation, status } = statusOf(w);
  assert.equal(status.observedGeneration, generation);
  assert.equal(status.readyReplicas, 3);
  assert.deepEqual(ready(status), { ...ready(before)!, observedGeneration: generation });

  // A config change lands before the StatefulSet controller caught up: the
  // generation is answered, but the rollout it starts is not reported done.
  edit(w, { replicas: 3, version: "16.9", storageSize: "2Gi", config: { work_mem: "8MB" } });
  await w.run();
  ({ generation, status } = statusOf(w));
  assert.equal(status.observedGeneration, generation);
  assert.equal(status.readyReplicas, 3);
  assert.equal(ready(status)?.status, "False");
  assert.equal(status.conditions.find((c) => c.type === "Progressing")?.status, "True");
  assert.equal(status.configHash, before.configHash, "the old config is still what runs");
});

Deno.test("the deleted StatefulSet still stands in when the cache shows the delete only after more looks", async () => {
  const w = await withClaims(true);
  edit(w, { replicas: 3, version: "16.9", storageSize: "2Gi" });
  await w.run(); // claims patched
  await w.run(); // StatefulSet deleted; the cache still has it, counters and all
  await w.run(); // another look before the cache catches up
  assert.equal(stsOf(w).metadata?.deletionTimestamp, undefined);
  w.landDeletes();
  await w.run(); // recreated; its controller has not written a status yet
  assert.equal(stsOf(w).status, undefined);
  // A new generation meanwhile is answered from the deleted one's counters.
  edit(w, { replicas: 3, version: "16.9", storageSize: "2Gi", config: { work_mem: "8MB" } });
  await w.run();
  const { generation, status } = statusOf(w);
  assert.equal(status.observedGeneration, generation);
  assert.equal(status.readyReplicas, 3);
});

Deno.test("a class that cannot expand: no request, one condition and one event, then silence", async () => {
  let refusals = 0;
  const w = world({
    request: (method, path) => {
      if (method === "PATCH" && path.includes("/persistentvolumeclaims/")) {
        refusals++;
        throw new ForbiddenError(
          "only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize",
          { status: 403 },
        );
      }
      return {};
    },
  });
  await running(w);
  w.owned.get("PersistentVolumeClaim")!.apply({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: "data-orders-0",
      namespace: "shop",
      labels: {
        "app.kubernetes.io/name": "postgres",
        "app.kubernetes.io/instance": "orders",
        "app.kubernetes.io/component": "database",
      },
    },
    spec: { storageClassName: "fixed", resources: { requests: { storage: "1Gi" } } },
    status: { capacity: { storage: "1Gi" } },
  });
  edit(w, { replicas: 3, version: "16.9", storageSize: "2Gi" });
  await w.run();
  await w.run();
  assert.equal(refusals, 1, "the API server is asked once");
  const d = degraded(w)!;
  assert.equal(d.reason, "StorageExpansionNotSupported");
  assert.match(d.message, /StorageClass "fixed" does not allow volume expansion/);
  const before = w.calls.length;
  for (let i = 0; i < 10; i++) {
    await w.clock.advance(6_000);
    await w.run();
  }
  assert.deepEqual(w.calls.slice(before), []);
  assert.deepEqual(w.events.filter((e) => e.startsWith("Warning")), [
    "Warning StorageExpansionNotSupported",
  ]);
});

Deno.test("a config change reaches the ConfigMap before the StatefulSet that rolls pods to it", async () => {
  const w = world();
  await running(w);
  w.timeline.length = 0;
  edit(w, { replicas: 3, config: { max_connections: "250" } });
  await w.run();
  const configDone = w.timeline.indexOf("done ConfigMap");
  const stsStart = w.timeline.indexOf("start StatefulSet");
  assert.ok(configDone >= 0 && stsStart >= 0, w.timeline.join(", "));
  assert.ok(configDone < stsStart, `StatefulSet sent before the ConfigMap landed: ${w.timeline}`);
});
