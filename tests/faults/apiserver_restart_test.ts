/**
 * Fault 1: kube-apiserver is restarted while Vigil reconciles 50 new
 * Databases. It restarts on a plane of its own (never the shared one).
 * Objects written before the restart are kept (same UIDs), each Database
 * ends with exactly its objects, and every invariant holds.
 */
import assert from "node:assert/strict";
import { installDatabaseCrd } from "../support/database_crd.ts";
import { startPlane } from "../support/plane.ts";
import { eventually } from "../support/shared_plane.ts";
import { deleteDatabases } from "../cluster/controller/_helpers.ts";
import { VigilPair } from "./_harness.ts";
import { checkInvariants, snapshot } from "./_invariants.ts";
import { applyDatabases, databases } from "./_workload.ts";

const COUNT = 50;

Deno.test("fault 1: kube-apiserver restarted while 50 new Databases reconcile; all converge, nothing recreated", async () => {
  const plane = await startPlane({ readyTimeoutMs: 180_000 });
  const ns = "fault-apiserver";
  let pair: VigilPair | undefined;
  try {
    // On a fresh plane `kubectl wait` may read the CRD before it has any condition
    // (and fails at once on the missing list): install again until it waits.
    await eventually("the Database CRD to be installed", async () => {
      await installDatabaseCrd(plane);
      return true;
    }, { timeoutMs: 120_000, intervalMs: 1_000 });
    await plane.kubectlOk(["create", "namespace", ns]);
    pair = await VigilPair.start(plane, ns);
    await applyDatabases(plane, ns, databases("db", COUNT));
    // Restart in the middle: some Databases Ready, not all.
    const readyAtRestart = await eventually("10 of the Databases Ready", async () => {
      const list = JSON.parse(await plane.kubectlOk(["-n", ns, "get", "db", "-o", "json"]));
      const ready =
        (list.items as Array<{ status?: { conditions?: Array<Record<string, string>> } }>)
          .filter((d) =>
            d.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")
          )
          .length;
      return ready >= 10 ? ready : undefined;
    }, { timeoutMs: 180_000, intervalMs: 100 });
    const before = await snapshot(plane, ns);
    const restartStarted = Date.now();
    await plane.restartApiServer();
    const downMs = Date.now() - restartStarted;
    assert.ok(readyAtRestart < COUNT, `all ${COUNT} were Ready before the restart`);

    const report = await checkInvariants(plane, ns, pair, before, {
      // A leader that cannot renew within its deadline exits 1; the supervisor restarts it.
      exitsAllowed: (e) => e.code === 1,
    });
    const after = await snapshot(plane, ns);
    for (let i = 0; i < COUNT; i++) {
      for (
        const key of [
          `StatefulSet/db-${i}`,
          `ConfigMap/db-${i}-config`,
          `Secret/db-${i}-credentials`,
        ]
      ) {
        assert.ok(after.objects.has(key), `${key} exists`);
      }
    }
    console.log(
      `fault 1: restart took ${downMs} ms with ${readyAtRestart}/${COUNT} Ready, ` +
        `Vigil exits ${JSON.stringify(pair.unplannedExits())}, converged in ` +
        `${report.convergeMs} ms, writes settled in ${report.settleMs} ms`,
    );
  } finally {
    if (pair !== undefined) {
      await deleteDatabases(plane, ns).catch(() => {});
      await pair.stop();
    }
    await plane.stop();
  }
});
