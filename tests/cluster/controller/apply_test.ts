/**
 * The apply layer on a real apiserver: realistic objects, server-side
 * applied and read back, match their desired form despite the apiserver's
 * defaulting (no false drift, so no idle writes); a kubectl edit of a field
 * Vigil manages reads as drift and the next apply reverts it, while what
 * another manager added survives; a field Vigil stops setting goes away; a
 * delete with a stale uid precondition deletes nothing; status goes through
 * the status subresource under the same field manager.
 *
 * The objects are owned by a real (paused) Database, so the garbage
 * collector of a full plane keeps them.
 */
import assert from "node:assert/strict";
import {
  APPLIED_HASH_ANNOTATION,
  Applier,
  FIELD_MANAGER,
  matchesLive,
  resourceFor,
  withAppliedHash,
} from "../../../src/controller/apply/mod.ts";
import { type KubeClient, NotFoundError } from "../../../src/kube/mod.ts";
import { type KubeObject, type Resource, resourcePath } from "../../../src/runtime/mod.ts";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import {
  eventually,
  type SharedPlane,
  sharedPlane,
  withNamespace,
} from "../../support/shared_plane.ts";
import { clientFor } from "../runtime/_helpers.ts";
import {
  configMap,
  deepFreeze,
  type Owner,
  realisticObjects,
  secret,
  statefulSet,
} from "../../unit/controller/apply/_objects.ts";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

const DATABASES: Resource = {
  group: "vigil.dev",
  version: "v1",
  plural: "databases",
  namespaced: true,
  kind: "Database",
};

interface Scene {
  readonly plane: SharedPlane;
  readonly client: KubeClient;
  readonly applier: Applier;
  readonly namespace: string;
  readonly owner: Owner;
}

/** Runs `fn` in a fresh namespace holding one paused Database `orders`, the objects' owner. */
async function withDatabase(prefix: string, fn: (scene: Scene) => Promise<void>): Promise<void> {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  const client = await clientFor(plane.kubeconfigPath);
  await withNamespace(plane, prefix, async (namespace) => {
    const db = await client.request<Json>("POST", resourcePath(DATABASES, { namespace }), {
      body: {
        apiVersion: "vigil.dev/v1",
        kind: "Database",
        // Paused: a Vigil running against this plane must leave these objects to the test.
        metadata: { name: "orders", annotations: { "vigil.dev/paused": "true" } },
        spec: { engine: "postgres" },
      },
    });
    const owner = {
      apiVersion: "vigil.dev/v1",
      kind: "Database",
      name: "orders",
      uid: String(db.metadata.uid),
    };
    await fn({ plane, client, applier: new Applier(client), namespace, owner });
  });
}

function pathOf(obj: KubeObject): string {
  return resourcePath(resourceFor(String(obj.apiVersion), String(obj.kind)), {
    namespace: String(obj.metadata?.namespace),
    name: String(obj.metadata?.name),
  });
}

/** As the informer cache holds it: `managedFields` stripped, frozen. */
function cached(obj: Json): Json {
  const copy = structuredClone(obj);
  delete copy.metadata?.managedFields;
  return deepFreeze(copy);
}

async function getLive(client: KubeClient, obj: KubeObject): Promise<Json> {
  return cached(await client.request<Json>("GET", pathOf(obj)));
}

Deno.test("applied realistic objects read back match their desired form: defaulting is no drift", async () => {
  await withDatabase("apply-defaults", async ({ client, applier, namespace, owner }) => {
    const desiredObjects = realisticObjects(namespace, owner).map((o) =>
      deepFreeze(withAppliedHash(o))
    );
    for (const desired of desiredObjects) {
      const what = `${desired.kind} ${desired.metadata?.name}`;
      const written = await applier.apply(desired) as Json;
      const managers = (written.metadata.managedFields as Json[]).map((f) => f.manager);
      assert.deepEqual(managers, [FIELD_MANAGER], `${what}: managers`);
      assert.equal(written.metadata.managedFields[0].operation, "Apply");
      assert.ok(matchesLive(desired, cached(written)), `${what}: the object apply answered`);
      assert.ok(matchesLive(desired, await getLive(client, desired)), `${what}: read back`);
    }

    // The apiserver rewrote the quantities the user wrote (0.5, 1.5Gi) into canonical
    // form: comparing them as strings would read as drift on every reconcile.
    const sts = await getLive(client, desiredObjects[4]!);
    assert.equal(sts.kind, "StatefulSet");
    const requests = sts.spec.template.spec.containers[0].resources.requests;
    assert.deepEqual(requests, { cpu: "500m", memory: "1536Mi" });
    // And it defaulted a lot that Vigil never says.
    assert.equal(
      sts.spec.template.spec.containers[0].terminationMessagePath,
      "/dev/termination-log",
    );
    assert.equal(sts.spec.revisionHistoryLimit, 10);
    const headless = await getLive(client, desiredObjects[2]!);
    assert.equal(headless.spec.ports[0].protocol, "TCP");
    const clientSvc = await getLive(client, desiredObjects[3]!);
    assert.match(clientSvc.spec.clusterIP, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal("publishNotReadyAddresses" in clientSvc.spec, false, "false was dropped");

    // Once the plane's controllers have written status (StatefulSet, PDB), it still matches.
    for (const desired of [desiredObjects[4]!, desiredObjects[5]!]) {
      await eventually(`${desired.kind} status`, async () => {
        const live = await getLive(client, desired);
        return live.status?.observedGeneration === live.metadata.generation ? true : undefined;
      }, { timeoutMs: 30_000 });
    }
    for (const desired of desiredObjects) {
      const live = await getLive(client, desired);
      assert.ok(matchesLive(desired, live), `${desired.kind} ${desired.metadata?.name}: re-read`);
    }
  });
});

Deno.test("a kubectl edit of a managed field is drift that a re-apply reverts; another manager's label and env var survive", async () => {
  await withDatabase("apply-drift", async ({ plane, client, applier, namespace, owner }) => {
    const desired = deepFreeze(withAppliedHash(statefulSet(namespace, owner)));
    await applier.apply(desired);
    const path = pathOf(desired);

    await client.request("PATCH", path, {
      query: { fieldManager: "kubectl" },
      contentType: "application/merge-patch+json",
      body: { metadata: { labels: { team: "payments" }, annotations: { note: "hands off" } } },
    });
    await client.request("PATCH", path, {
      query: { fieldManager: "kubectl" },
      contentType: "application/strategic-merge-patch+json",
      body: {
        spec: {
          template: {
            spec: { containers: [{ name: "postgres", env: [{ name: "TZ", value: "UTC" }] }] },
          },
        },
      },
    });
    const annotated = await getLive(client, desired);
    assert.equal(annotated.metadata.labels.team, "payments");
    assert.ok(matchesLive(desired, annotated), "what another manager added is no drift");

    await plane.kubectlOk([
      "-n",
      namespace,
      "patch",
      "statefulset",
      "orders",
      "--type=strategic",
      "-p",
      JSON.stringify({
        spec: {
          replicas: 3,
          template: { spec: { containers: [{ name: "postgres", image: "postgres:16" }] } },
        },
      }),
    ]);
    const drifted = await getLive(client, desired);
    assert.equal(drifted.spec.replicas, 3);
    assert.equal(matchesLive(desired, drifted), false, "the edit is drift");

    await applier.apply(desired);
    const reverted = await getLive(client, desired);
    assert.equal(reverted.spec.replicas, 1);
    const container = reverted.spec.template.spec.containers[0];
    assert.equal(container.image, "docker.io/library/postgres:17.2");
    assert.ok(matchesLive(desired, reverted), "reverted");
    assert.equal(reverted.metadata.labels.team, "payments");
    assert.equal(reverted.metadata.annotations.note, "hands off");
    assert.deepEqual(container.env.find((e: Json) => e.name === "TZ"), {
      name: "TZ",
      value: "UTC",
    });
  });
});

Deno.test("a field Vigil stops setting changes the applied hash, and the next apply removes it", async () => {
  await withDatabase("apply-removal", async ({ client, applier, namespace, owner }) => {
    const before = configMap(namespace, owner) as Json;
    const first = deepFreeze(withAppliedHash({ ...before, data: { ...before.data, extra: "1" } }));
    await applier.apply(first);
    const second = deepFreeze(withAppliedHash(before));
    const live = await getLive(client, second);
    // Every field of `second` is still in live: only the hash tells that `extra` must go.
    assert.notEqual(
      live.metadata.annotations[APPLIED_HASH_ANNOTATION],
      second.metadata?.annotations?.[APPLIED_HASH_ANNOTATION],
    );
    assert.equal(matchesLive(second, live), false);
    await applier.apply(second);
    const after = await getLive(client, second);
    assert.equal(after.data.extra, undefined);
    assert.ok(matchesLive(second, after));
  });
});

Deno.test("delete with a stale uid precondition deletes nothing; with the object's uid it deletes", async () => {
  await withDatabase("apply-delete", async ({ client, applier, namespace, owner }) => {
    const desired = withAppliedHash(secret(namespace, owner));
    const written = await applier.apply(desired) as Json;
    const ref = {
      apiVersion: "v1",
      kind: "Secret",
      namespace,
      name: String(desired.metadata?.name),
    };

    await applier.delete({ ...ref, uid: "00000000-0000-0000-0000-000000000000" });
    const still = await getLive(client, desired);
    assert.equal(still.metadata.uid, written.metadata.uid);

    await applier.delete({ ...ref, uid: written.metadata.uid });
    await assert.rejects(client.request("GET", pathOf(desired)), NotFoundError);
    await applier.delete({ ...ref, uid: written.metadata.uid });
    await applier.delete(ref);
  });
});

Deno.test("applyStatus writes the Database status through the status subresource as vigil", async () => {
  await withDatabase("apply-status", async ({ client, applier, namespace }) => {
    const status = { phase: "Pending", replicas: 1, readyReplicas: 0, observedGeneration: 1 };
    const written = await applier.applyStatus(DATABASES, {
      metadata: { name: "orders", namespace },
      status,
    }) as Json;
    assert.deepEqual(written.status, status);
    const db = await client.request<Json>(
      "GET",
      resourcePath(DATABASES, { namespace, name: "orders" }),
    );
    assert.deepEqual(db.status, status);
    assert.equal(db.spec.engine, "postgres");
    const entry = (db.metadata.managedFields as Json[]).find((f) => f.manager === FIELD_MANAGER);
    assert.equal(entry?.operation, "Apply");
    assert.equal(entry?.subresource, "status");
  });
});
