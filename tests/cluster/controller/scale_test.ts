/**
 * Scaling keeps the data: scaling down removes pods, never PVCs (even with
 * `pvcDeletionPolicy: Delete`, which is about deleting the Database), and
 * scaling back up reattaches the same claims; the PodDisruptionBudget follows.
 */
import assert from "node:assert/strict";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";
import {
  applyDatabase,
  deleteDatabases,
  getJson,
  patchDatabase,
  startScopedVigil,
  waitReady,
} from "./_helpers.ts";

Deno.test("scaling 3 → 1 → 3 keeps every PVC and reattaches the same claims; the PDB follows", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "scale", async (ns) => {
    const vigil = await startScopedVigil(plane, ns);
    try {
      const claims = async () =>
        Object.fromEntries(
          (JSON.parse(
            await plane.kubectlOk([
              "-n",
              ns,
              "get",
              "pvc",
              "-l",
              "app.kubernetes.io/instance=orders",
              "-o",
              "json",
            ]),
          ) as { items: Array<{ metadata: { name: string; uid: string } }> }).items
            .map((p) => [p.metadata.name, p.metadata.uid]),
        );
      const pods = async () =>
        (JSON.parse(
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
        ) as { items: Array<{ metadata: { name: string; deletionTimestamp?: string } }> }).items
          .filter((p) => p.metadata.deletionTimestamp === undefined).map((p) => p.metadata.name)
          .sort();
      await applyDatabase(plane, ns, "orders", {
        engine: "postgres",
        version: "17.5",
        replicas: 3,
        storageSize: "1Gi",
        pvcDeletionPolicy: "Delete",
      });
      await waitReady(plane, ns, "orders");
      const three = await claims();
      assert.equal(Object.keys(three).length, 3);
      assert.ok(await getJson(plane, ns, "pdb/orders"));

      await patchDatabase(plane, ns, "orders", { replicas: 1 });
      await eventually("one pod left", async () => {
        const names = await pods();
        return names.length === 1 ? names : undefined;
      });
      await waitReady(plane, ns, "orders");
      assert.deepEqual(await claims(), three, "no PVC deleted by scaling down");
      await eventually(
        "the PDB gone",
        async () => await getJson(plane, ns, "pdb/orders") === undefined ? true : undefined,
      );

      await patchDatabase(plane, ns, "orders", { replicas: 3 });
      await eventually("three pods again", async () => {
        const names = await pods();
        return names.length === 3 ? names : undefined;
      });
      await waitReady(plane, ns, "orders");
      assert.deepEqual(await claims(), three, "the same claims reattached");
      assert.ok(await getJson(plane, ns, "pdb/orders"));
      await deleteDatabases(plane, ns);
    } finally {
      await vigil.stop();
    }
  });
});
