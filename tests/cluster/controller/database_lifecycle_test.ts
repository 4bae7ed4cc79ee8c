/**
 * The Database lifecycle on the real plane (kwok nodes, real
 * controller-manager and scheduler): Databases become Ready, owned objects
 * are kept against deletion and drift while other managers' fields survive,
 * scale moves the PDB, deletion honours the PVC policy, and a Database
 * deleted while Vigil is down is cleaned up when it returns.
 */
import assert from "node:assert/strict";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";
import {
  applyDatabase,
  deleteDatabases,
  getJson,
  startScopedVigil,
  waitReady,
} from "./_helpers.ts";

interface Obj {
  metadata: {
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

Deno.test("postgres and mysql Databases with 1 and 3 replicas become Ready and are kept that way", async (t) => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "lifecycle", async (ns) => {
    const vigil = await startScopedVigil(plane, ns);
    try {
      await t.step("Databases become Ready: pods Ready, PVCs Bound, 3/3 Running", async () => {
        await applyDatabase(plane, ns, "pg1", { engine: "postgres", storageSize: "1Gi" });
        await applyDatabase(plane, ns, "pg3", {
          engine: "postgres",
          version: "17.5",
          replicas: 3,
          storageSize: "1Gi",
          config: { max_connections: "150" },
        });
        await applyDatabase(plane, ns, "my1", {
          engine: "mysql",
          version: "8.4.5",
          storageSize: "1Gi",
        });
        await applyDatabase(plane, ns, "my3", { engine: "mysql", replicas: 3, storageSize: "1Gi" });
        for (const name of ["pg1", "pg3", "my1", "my3"]) await waitReady(plane, ns, name);
        const table = await plane.kubectlOk(["-n", ns, "get", "db", "--no-headers"]);
        assert.match(table, /^pg3\s+postgres\s+17\.5\s+3\/3\s+Running/m, table);
        assert.match(table, /^my1\s+mysql\s+8\.4\.5\s+1\/1\s+Running/m, table);
        const pods = JSON.parse(await plane.kubectlOk(["-n", ns, "get", "pods", "-o", "json"]))
          .items as { status: { conditions?: { type: string; status: string }[] } }[];
        assert.equal(pods.length, 8);
        for (const p of pods) {
          assert.ok(p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
        }
        const pvcs = JSON.parse(await plane.kubectlOk(["-n", ns, "get", "pvc", "-o", "json"]))
          .items as { status: { phase: string } }[];
        assert.equal(pvcs.filter((p) => p.status.phase === "Bound").length, 8);
        const db = await getJson<Obj>(plane, ns, "db/pg3");
        const status = db!.status as Record<string, unknown>;
        assert.equal(status.storageSize, "1Gi");
        assert.equal(status.credentialsSecret, "pg3-credentials");
        assert.deepEqual(db!.metadata.finalizers, ["vigil.dev/cleanup"]);
        assert.equal(
          (status.endpoints as Record<string, string>).readWrite,
          `pg3.${ns}.svc:5432`,
        );
        await eventually("vigil_databases to count 4 Running, 0 Pending", async () => {
          const metrics = await (await fetch(
            `http://127.0.0.1:${vigil.vigil.metricsPort}/metrics`,
          )).text();
          return /^vigil_databases\{phase="Running"\} 4$/m.test(metrics) &&
              /^vigil_databases\{phase="Pending"\} 0$/m.test(metrics)
            ? true
            : undefined;
        });
      });

      await t.step("a deleted owned object comes back", async () => {
        for (const kindName of ["service/pg1", "configmap/pg1-config"]) {
          const before = await getJson<Obj>(plane, ns, kindName);
          await plane.kubectlOk(["-n", ns, "delete", kindName, "--wait=true"]);
          await eventually(`${kindName} to come back`, async () => {
            const after = await getJson<Obj>(plane, ns, kindName);
            return after !== undefined && after.metadata.uid !== before!.metadata.uid
              ? true
              : undefined;
          });
        }
      });

      await t.step("drift in a managed field is reverted; others' labels survive", async () => {
        await plane.kubectlOk([
          "-n",
          ns,
          "label",
          "statefulset/pg1",
          "team=payments",
        ]);
        await plane.kubectlOk([
          "-n",
          ns,
          "patch",
          "statefulset/pg1",
          "--type=json",
          "-p",
          JSON.stringify([{
            op: "replace",
            path: "/spec/template/spec/containers/0/image",
            value: "docker.io/library/postgres:9.6",
          }]),
        ]);
        await eventually("the image to be reverted", async () => {
          const sts = await getJson<
            { spec: { template: { spec: { containers: { image: string }[] } } } } & Obj
          >(plane, ns, "statefulset/pg1");
          return sts!.spec.template.spec.containers[0]!.image.endsWith("postgres:17.5")
            ? sts
            : undefined;
        });
        const sts = await getJson<Obj>(plane, ns, "statefulset/pg1");
        assert.equal(sts!.metadata.labels?.team, "payments");
      });

      await t.step("kubectl scale reaches 3/3 and adds the PDB; back to 1 removes it", async () => {
        assert.equal(await getJson(plane, ns, "pdb/pg1"), undefined);
        await plane.kubectlOk(["-n", ns, "scale", "db/pg1", "--replicas=3"]);
        await eventually("3/3 ready", async () => {
          const db = await getJson<Obj>(plane, ns, "db/pg1");
          return db?.status?.ready === "3/3" && db.status.phase === "Running" ? true : undefined;
        }, { timeoutMs: 120_000 });
        await waitReady(plane, ns, "pg1");
        assert.ok(await getJson(plane, ns, "pdb/pg1"));
        await plane.kubectlOk(["-n", ns, "scale", "db/pg1", "--replicas=1"]);
        await eventually(
          "the PDB to go",
          async () => (await getJson(plane, ns, "pdb/pg1")) === undefined ? true : undefined,
        );
        await eventually("1/1 ready", async () => {
          const db = await getJson<Obj>(plane, ns, "db/pg1");
          return db?.status?.ready === "1/1" ? true : undefined;
        }, { timeoutMs: 120_000 });
      });

      await t.step("delete with Retain keeps the PVCs, with Delete removes them", async () => {
        await applyDatabase(plane, ns, "gone", {
          storageSize: "1Gi",
          pvcDeletionPolicy: "Delete",
        });
        await waitReady(plane, ns, "gone");
        await plane.kubectlOk(["-n", ns, "delete", "db/my1", "db/gone", "--timeout=120s"]);
        assert.ok(await getJson(plane, ns, "pvc/data-my1-0"), "Retain keeps data-my1-0");
        await eventually(
          "data-gone-0 to be deleted",
          async () =>
            (await getJson(plane, ns, "pvc/data-gone-0")) === undefined ? true : undefined,
        );
        for (const kindName of ["statefulset/my1", "secret/my1-credentials", "service/my1"]) {
          assert.equal(await getJson(plane, ns, kindName), undefined, kindName);
        }
      });
    } finally {
      await deleteDatabases(plane, ns);
      assert.equal(await vigil.stop(), 0, vigil.log());
    }
  });
});

Deno.test("a Database deleted while Vigil is stopped is gone soon after Vigil starts", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "offline-delete", async (ns) => {
    let vigil = await startScopedVigil(plane, ns);
    try {
      await applyDatabase(plane, ns, "orphan", { storageSize: "1Gi" });
      await waitReady(plane, ns, "orphan");
      assert.equal(await vigil.stop(), 0, vigil.log());
      await plane.kubectlOk(["-n", ns, "delete", "db/orphan", "--wait=false"]);
      const stuck = await getJson<Obj>(plane, ns, "db/orphan");
      assert.ok(stuck, "the finalizer holds the Database while Vigil is down");
      vigil = await startScopedVigil(plane, ns);
      await eventually(
        "the Database to be gone",
        async () => (await getJson(plane, ns, "db/orphan")) === undefined ? true : undefined,
        {
          timeoutMs: 120_000,
        },
      );
      assert.equal(await getJson(plane, ns, "statefulset/orphan"), undefined);
    } finally {
      await deleteDatabases(plane, ns);
      await vigil.stop();
    }
  });
});
