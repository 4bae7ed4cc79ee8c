/**
 * Fault 5: both Vigil processes lose the apiserver for 60 s (a loopback TCP
 * proxy between them and it is closed) while users create, change, scale
 * and delete Databases. The leader cannot renew and exits 1 (by design: a
 * leader that may have been replaced must stop acting) and is started
 * again; once the way is open again Vigil catches up: nothing lost, nothing
 * duplicated, every invariant holds.
 */
import assert from "node:assert/strict";
import { installDatabaseCrd } from "../support/database_crd.ts";
import { sharedPlane, withNamespace } from "../support/shared_plane.ts";
import { deleteDatabases } from "../cluster/controller/_helpers.ts";
import { VigilPair } from "./_harness.ts";
import { checkInvariants, snapshot, waitConverged } from "./_invariants.ts";
import { proxiedApiServer } from "./_proxy.ts";
import { applyDatabases, databases, patchSpecs } from "./_workload.ts";

const CUT_MS = 60_000;

Deno.test("fault 5: Vigil cut off from the apiserver for 60 s while users change specs catches up; nothing lost or duplicated", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "fault-cutoff", async (ns) => {
    const way = await proxiedApiServer(plane);
    const pair = await VigilPair.start(plane, ns, { kubeconfig: way.kubeconfig });
    let cut = false;
    try {
      await applyDatabases(plane, ns, databases("db", 12));
      await waitConverged(plane, ns);
      const before = await snapshot(plane, ns);

      await way.proxy.close();
      cut = true;
      const cutAt = Date.now();
      await applyDatabases(plane, ns, databases("late", 4));
      await patchSpecs(plane, ns, ["db-0", "db-1", "db-2"], { config: { work_mem: "8MB" } });
      await patchSpecs(plane, ns, ["db-3", "db-4"], { replicas: 2 });
      await patchSpecs(plane, ns, ["db-5"], { storageSize: "2Gi" });
      await plane.kubectlOk(["-n", ns, "delete", "db", "db-6", "db-7", "--wait=false"]);
      // The fault is an absence of 60 s: wait it out.
      await new Promise((r) => setTimeout(r, CUT_MS - (Date.now() - cutAt)));
      way.proxy.open();
      cut = false;

      const report = await checkInvariants(plane, ns, pair, before, {
        rolled: ["db-0", "db-1", "db-2", "db-3", "db-4"],
        removed: ["db-6", "db-7"],
        resized: ["db-5"],
        // A leader that cannot renew within its deadline exits 1, and a restart that
        // cannot reach the apiserver gives up the same way; the supervisor restarts both.
        exitsAllowed: (e) => e.code === 1,
      });
      const names = JSON.parse(
        await plane.kubectlOk(["-n", ns, "get", "db", "-o", "json"]),
      ).items.map((d: { metadata: { name: string } }) => d.metadata.name).sort();
      assert.deepEqual(
        names,
        [...Object.keys(databases("db", 12)), ...Object.keys(databases("late", 4))]
          .filter((n) => n !== "db-6" && n !== "db-7").sort(),
      );
      for (const gone of ["db-6", "db-7"]) {
        const left = await plane.kubectlOk([
          "-n",
          ns,
          "get",
          "sts,svc,cm,secret,pvc",
          "-l",
          `app.kubernetes.io/instance=${gone}`,
          "-o",
          "name",
        ]);
        // The default pvcDeletionPolicy keeps the claims; nothing else may remain.
        assert.deepEqual(
          left.trim().split("\n").filter((l) =>
            l !== "" && !l.startsWith("persistentvolumeclaim/")
          ),
          [],
          `objects of the deleted ${gone} remain`,
        );
      }
      console.log(
        `fault 5: cut ${CUT_MS} ms, Vigil exits ${JSON.stringify(pair.unplannedExits())}, ` +
          `converged ${report.convergeMs} ms after the way reopened, ` +
          `writes settled in ${report.settleMs} ms`,
      );
    } finally {
      if (cut) way.proxy.open();
      await deleteDatabases(plane, ns).catch(() => {});
      await pair.stop();
      await way.close();
    }
  });
});
