/**
 * Vigil's writes, counted from its own `rest_client_requests_total`: a new
 * Database costs one write per owned object, one finalizer write and its
 * status transitions; an idle cluster costs none; a restart costs none and
 * restarts no pod.
 */
import assert from "node:assert/strict";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";
import {
  applyDatabase,
  deleteDatabases,
  metricSum,
  startScopedVigil,
  total,
  waitReady,
} from "./_helpers.ts";

const IDLE_MS = 60_000;

async function podUids(
  plane: Awaited<ReturnType<typeof sharedPlane>>,
  ns: string,
): Promise<string[]> {
  const pods = JSON.parse(await plane.kubectlOk(["-n", ns, "get", "pods", "-o", "json"]))
    .items as { metadata: { uid: string } }[];
  return pods.map((p) => p.metadata.uid).sort();
}

/** POSTs and PATCHes of the Events Vigil wrote in the namespace (count − 1 patches each). */
async function vigilEventWrites(
  plane: Awaited<ReturnType<typeof sharedPlane>>,
  ns: string,
): Promise<number> {
  const events = JSON.parse(await plane.kubectlOk(["-n", ns, "get", "events", "-o", "json"]))
    .items as { reportingComponent?: string; count?: number }[];
  return events.filter((e) => e.reportingComponent === "vigil")
    .reduce((sum, e) => sum + (e.count ?? 1), 0);
}

Deno.test("new Databases cost their objects + finalizer + status writes; idle and restart cost zero", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "writes", async (ns) => {
    // Without leader election: Lease renewals are writes too, and not the reconciler's.
    const args = { extraArgs: ["--leader-elect=false"] };
    let vigil = await startScopedVigil(plane, ns, args);
    try {
      const before = total(await vigil.writes());
      const names = ["w1", "w2", "w3", "w4", "w5"];
      for (const name of names) await applyDatabase(plane, ns, name, { storageSize: "1Gi" });
      for (const name of names) await waitReady(plane, ns, name);
      // Ready is written by the last status write: nothing is in flight after it.
      const writes = total(await vigil.writes()) - before;
      const eventWrites = await vigilEventWrites(plane, ns);
      const perDatabase = (writes - eventWrites) / names.length;
      // Secret, ConfigMap, 2 Services, StatefulSet (1 replica: no PDB, no CronJob),
      // the finalizer, and two status writes (Progressing, then Ready).
      assert.ok(perDatabase <= 8, `writes per Database: ${perDatabase}\n${vigil.log()}`);
      console.log(
        `writes per new Database: ${perDatabase} (+ ${eventWrites / names.length} for events)`,
      );

      const settled = await vigil.writes();
      const pods = await podUids(plane, ns);
      await new Promise((r) => setTimeout(r, IDLE_MS));
      assert.deepEqual(await vigil.writes(), settled, "no write while idle");

      assert.equal(await vigil.stop(), 0, vigil.log());
      vigil = await startScopedVigil(plane, ns, args);
      const port = vigil.vigil.metricsPort!;
      await eventually(
        "every Database to be reconciled after the restart",
        async () =>
          (await metricSum(port, "controller_runtime_reconcile_total")) >= names.length
            ? true
            : undefined,
      );
      const afterRestart = await vigil.writes();
      assert.equal(total(afterRestart), 0, JSON.stringify(afterRestart));
      assert.deepEqual(await podUids(plane, ns), pods, "no pod restarted");
    } finally {
      await deleteDatabases(plane, ns);
      await vigil.stop();
    }
  });
});
