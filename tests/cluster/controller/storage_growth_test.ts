/**
 * Storage growth on the plane's test provisioner: every PVC grows and the
 * StatefulSet is recreated (orphaning its pods) with the new claim size;
 * on a class that stops allowing expansion, Vigil reports once and then
 * leaves the API server alone.
 */
import assert from "node:assert/strict";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";
import {
  applyDatabase,
  deleteDatabases,
  eventCount,
  getJson,
  metricSum,
  patchDatabase,
  startScopedVigil,
  waitReady,
} from "./_helpers.ts";

interface Db {
  status?: {
    storageSize?: string;
    phase?: string;
    conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  };
}

interface Pvc {
  metadata: { name: string };
  spec: { resources: { requests: { storage: string } } };
  status: { capacity?: { storage?: string } };
}

function condition(db: Db | undefined, type: string) {
  return db?.status?.conditions?.find((c) => c.type === type);
}

async function claims(
  plane: Awaited<ReturnType<typeof sharedPlane>>,
  ns: string,
): Promise<Pvc[]> {
  return (JSON.parse(
    await plane.kubectlOk([
      "-n",
      ns,
      "get",
      "pvc",
      "-l",
      "app.kubernetes.io/instance=orders,app.kubernetes.io/component=database",
      "-o",
      "json",
    ]),
  ) as { items: Pvc[] }).items;
}

async function podUids(
  plane: Awaited<ReturnType<typeof sharedPlane>>,
  ns: string,
): Promise<string[]> {
  const pods = JSON.parse(
    await plane.kubectlOk([
      "-n",
      ns,
      "get",
      "pods",
      "-l",
      "app.kubernetes.io/instance=orders,app.kubernetes.io/component=database",
      "-o",
      "json",
    ]),
  ) as { items: Array<{ metadata: { name: string; uid: string } }> };
  return pods.items.map((p) => `${p.metadata.name}/${p.metadata.uid}`).sort();
}

interface Sts {
  metadata: { uid: string };
  spec: { volumeClaimTemplates: Array<{ spec: { resources: { requests: { storage: string } } } }> };
}

Deno.test("10Gi → 20Gi: every PVC reaches 20Gi, status says so, pods keep running, and a new replica gets 20Gi", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "grow", async (ns) => {
    const vigil = await startScopedVigil(plane, ns);
    try {
      const spec = { engine: "postgres", version: "17.5", replicas: 2, storageSize: "10Gi" };
      await applyDatabase(plane, ns, "orders", spec);
      await waitReady(plane, ns, "orders");
      const before = await getJson<Sts>(plane, ns, "sts/orders");
      const pods = await podUids(plane, ns);
      assert.equal(pods.length, 2);

      await applyDatabase(plane, ns, "orders", { ...spec, storageSize: "20Gi" });
      const grown = await eventually(
        "status.storageSize 20Gi, Resizing=False StorageResized",
        async () => {
          const db = await getJson<Db>(plane, ns, "db/orders");
          return db?.status?.storageSize === "20Gi" &&
              condition(db, "Resizing")?.reason === "StorageResized"
            ? db
            : undefined;
        },
        { timeoutMs: 90_000 },
      );
      assert.equal(condition(grown, "Resizing")?.status, "False");
      for (const pvc of await claims(plane, ns)) {
        assert.equal(pvc.spec.resources.requests.storage, "20Gi", pvc.metadata.name);
        assert.equal(pvc.status.capacity?.storage, "20Gi", pvc.metadata.name);
      }
      const after = await eventually(
        "the StatefulSet recreated with a 20Gi claim template",
        async () => {
          const sts = await getJson<Sts>(plane, ns, "sts/orders");
          return sts?.spec.volumeClaimTemplates[0]?.spec.resources.requests.storage === "20Gi"
            ? sts
            : undefined;
        },
      );
      assert.notEqual(after.metadata.uid, before?.metadata.uid);
      await waitReady(plane, ns, "orders");
      assert.deepEqual(await podUids(plane, ns), pods, "no pod was restarted");
      await eventually(
        "one StorageResized event",
        async () =>
          await eventCount(plane, ns, "orders", "StorageResized") === 1 ? true : undefined,
      );

      await patchDatabase(plane, ns, "orders", { replicas: 3 });
      await eventually("the new replica's claim at 20Gi", async () => {
        const third = (await claims(plane, ns)).find((p) => p.metadata.name === "data-orders-2");
        return third?.status.capacity?.storage === "20Gi" ? third : undefined;
      }, { timeoutMs: 90_000 });
      await waitReady(plane, ns, "orders");
      await deleteDatabases(plane, ns);
    } finally {
      await vigil.stop();
    }
  });
});

Deno.test("a class that stops allowing expansion: one condition, one event, and fewer than 5 requests a minute after", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "grow-fixed", async (ns) => {
    const className = `fixed-later-${ns}`;
    await plane.kubectlOk(["apply", "-f", "-"], {
      stdin: JSON.stringify({
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: className },
        provisioner: "vigil.dev/test-provisioner",
        allowVolumeExpansion: true,
      }),
    });
    // Without leader election: Lease renewals are requests too, and not the reconciler's.
    const vigil = await startScopedVigil(plane, ns, { extraArgs: ["--leader-elect=false"] });
    try {
      const spec = {
        engine: "postgres",
        version: "17.5",
        replicas: 2,
        storageSize: "1Gi",
        storageClassName: className,
      };
      await applyDatabase(plane, ns, "orders", spec);
      await waitReady(plane, ns, "orders");
      await plane.kubectlOk([
        "patch",
        "storageclass",
        className,
        "--type=merge",
        "-p",
        JSON.stringify({ allowVolumeExpansion: false }),
      ]);
      // Vigil's StorageClass cache sees the change (a cluster-wide informer).
      await new Promise((r) => setTimeout(r, 1_000));
      await applyDatabase(plane, ns, "orders", { ...spec, storageSize: "2Gi" });
      const refused = await eventually("Degraded=True StorageExpansionNotSupported", async () => {
        const db = await getJson<Db>(plane, ns, "db/orders");
        return condition(db, "Degraded")?.reason === "StorageExpansionNotSupported"
          ? db
          : undefined;
      });
      const message = condition(refused, "Degraded")!.message;
      assert.match(
        message,
        new RegExp(`StorageClass "${className}" does not allow volume expansion`),
      );
      assert.match(message, /2Gi/);
      assert.equal(condition(refused, "Resizing")?.reason, "ExpansionNotSupported");
      assert.equal(refused.status?.phase, "Running");

      const requests = () => metricSum(vigil.vigil.metricsPort!, "rest_client_requests_total");
      const start = await requests();
      await new Promise((r) => setTimeout(r, 60_000));
      const perMinute = (await requests()) - start;
      console.log(`requests in the minute after the refusal: ${perMinute}`);
      assert.ok(perMinute < 5, `requests in a minute: ${perMinute}\n${vigil.log()}`);
      assert.equal(await eventCount(plane, ns, "orders", "StorageExpansionNotSupported"), 1);
      for (const pvc of await claims(plane, ns)) {
        assert.equal(pvc.spec.resources.requests.storage, "1Gi", pvc.metadata.name);
      }
      await deleteDatabases(plane, ns);
    } finally {
      await vigil.stop();
      await plane.kubectl(["delete", "storageclass", className, "--wait=false"]);
    }
  });
});
