/**
 * The pair's leadership monitor itself, on real processes: every scenario
 * relies on it to report two leaders at once, so it is shown one. Replica b
 * is given a Lease of its own, so both processes lead; the monitor must see
 * both report master status 1 in one sample, and `leadershipProblems` must
 * say so. (Its other checks — a standby that reconciled, a Lease held by a
 * stranger — read the same samples and Lease watch.)
 */
import assert from "node:assert/strict";
import { installDatabaseCrd } from "../support/database_crd.ts";
import { eventually, sharedPlane, withNamespace } from "../support/shared_plane.ts";
import { VigilPair } from "./_harness.ts";

Deno.test("the leadership monitor reports two processes leading at once", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "fault-monitor", async (ns) => {
    const pair = await VigilPair.start(plane, ns, {
      replicaArgs: { b: [`--leader-election-id=vigil-${ns}-split`] },
      leaders: 2,
    });
    try {
      const seen = await eventually(
        "the monitor to sample both processes leading",
        () => Promise.resolve(pair.twoLeaders[0]),
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      assert.deepEqual([...seen.replicas].sort(), ["a", "b"]);
      const problems = pair.leadershipProblems();
      assert.ok(
        problems.some((p) => p.startsWith("two processes reported master status 1 at ")),
        `the monitor's problems do not name two leaders: ${JSON.stringify(problems)}`,
      );
    } finally {
      await pair.stop();
    }
  });
});
