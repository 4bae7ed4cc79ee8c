/**
 * Fault 6: the leader gets SIGTERM (a rolling update of the Deployment)
 * while Databases are being created and reconfigured and 30 admission
 * requests a second reach the replicas. The leader hands over in under a
 * second, every admission request is answered, it exits 0, and every
 * invariant holds.
 */
import assert from "node:assert/strict";
import { installDatabaseCrd } from "../support/database_crd.ts";
import { eventually, sharedPlane, withNamespace } from "../support/shared_plane.ts";
import { deleteDatabases, metricSum } from "../cluster/controller/_helpers.ts";
import { identityOfIncarnation, type Incarnation, VigilPair } from "./_harness.ts";
import { checkInvariants, snapshot, waitConverged } from "./_invariants.ts";
import { admissionLoad, applyDatabases, databases, patchSpecs } from "./_workload.ts";

/** The drain vigil run answers webhooks for after SIGTERM (startVigil's test setting). */
const DRAIN_MS = 1_000;

Deno.test("fault 6: SIGTERM to the leader under load hands over in < 1 s, 0 failed admissions, exit 0, invariants hold", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "fault-sigterm", async (ns) => {
    const pair = await VigilPair.start(plane, ns);
    let admissions: ReturnType<typeof admissionLoad> | undefined;
    try {
      await applyDatabases(plane, ns, databases("base", 10));
      await waitConverged(plane, ns);
      const before = await snapshot(plane, ns);

      // Endpoints: every running replica, minus one that got SIGTERM once its drain is
      // nearly over (the EndpointSlice controller removes a terminating pod meanwhile).
      const leaving = new Set<Incarnation>();
      admissions = admissionLoad(
        () => pair.incarnations.filter((i) => i.exit === undefined && !leaving.has(i)),
        30,
      );
      const leaderBefore = await pair.leader();
      const addsBefore = await metricSum(
        leaderBefore.vigil.vigil.metricsPort!,
        "workqueue_adds_total",
      );
      const changes = (async () => {
        await applyDatabases(plane, ns, databases("new", 10));
        await patchSpecs(plane, ns, ["base-0", "base-1", "base-2"], {
          config: { max_connections: "150" },
        });
      })();
      // The signal lands while the leader works the load: its queue has taken new items.
      await eventually(
        "the load to reach the leader's queue",
        async () =>
          (await metricSum(leaderBefore.vigil.vigil.metricsPort!, "workqueue_adds_total")) >
              addsBefore
            ? true
            : undefined,
      );
      const leader = await pair.leader();
      const leaderId = identityOfIncarnation(leader);
      assert.ok(leaderId, "the leader logged its identity");
      const sigterm = Date.now();
      setTimeout(() => leaving.add(leader), DRAIN_MS - 300);
      const code = await pair.terminate(leader);
      const taken = await eventually(
        "the standby to take the Lease",
        () => Promise.resolve(pair.leaseTakenAt(sigterm, leaderId)),
        { timeoutMs: 30_000, intervalMs: 20 },
      );
      const handoverMs = taken.at - sigterm;
      await changes;
      // The Deployment brings a new replica in its place.
      await pair.relaunch(leader.replica);
      const report = await checkInvariants(plane, ns, pair, before, {
        rolled: ["base-0", "base-1", "base-2"],
      });
      const results = await admissions.stop();
      const failed = results.filter((r) => r.answer !== "allowed");
      console.log(
        `fault 6: handover ${handoverMs} ms, leader exit ${code}, ` +
          `${results.length} admissions (${failed.length} failed), ` +
          `converged in ${report.convergeMs} ms, writes settled in ${report.settleMs} ms`,
      );
      assert.equal(code, 0, pair.logs());
      assert.ok(
        handoverMs < 1_000,
        `handover took ${handoverMs} ms\n${pair.summary()}\n${pair.logs(20)}`,
      );
      assert.ok(results.length >= 30 * 5, `only ${results.length} admission requests were sent`);
      assert.deepEqual(failed.slice(0, 5), [], `${failed.length} admission requests failed`);
    } finally {
      await admissions?.stop();
      await deleteDatabases(plane, ns);
      await pair.stop();
    }
  });
});
