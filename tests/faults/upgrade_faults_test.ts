/**
 * Faults in the middle of a 3-replica rolling upgrade 16.9 → 17.5, beside
 * other Databases that must not notice:
 *
 * - fault 3: the leader is killed (-9) once the first replica runs 17.5; the
 *   standby takes the Lease when it expires and finishes 1 then 0, in order,
 *   never two unavailable;
 * - fault 7: the replica next in line (orders-1, still 16.9) is deleted
 *   while the first one rolls; the StatefulSet brings it back on its claim
 *   and the upgrade still finishes 2, 1, 0.
 */
import assert from "node:assert/strict";
import { KubeClient, loadKubeConfig } from "../../src/kube/mod.ts";
import { installDatabaseCrd } from "../support/database_crd.ts";
import { eventually, sharedPlane, withNamespace } from "../support/shared_plane.ts";
import {
  deleteDatabases,
  type PodMoment,
  revisionMoments,
  watchPods,
} from "../cluster/controller/_helpers.ts";
import { identityOfIncarnation, VigilPair } from "./_harness.ts";
import { checkInvariants, snapshot, waitConverged } from "./_invariants.ts";
import { applyDatabases, databases, patchSpecs } from "./_workload.ts";

const ORDERS = { engine: "postgres", version: "16.9", replicas: 3, storageSize: "1Gi" };

const tagOf = (image: string) => image.slice(image.lastIndexOf("/") + 1);

/** Old pods going and new pods Ready, as `gone 2`, `ready 2`, …. */
function upgradeOrder(moments: readonly PodMoment[]): string[] {
  return moments
    .filter((m) =>
      (m.type === "gone" && tagOf(m.image) === "postgres:16.9") ||
      (m.type === "ready" && tagOf(m.image) === "postgres:17.5")
    )
    .map((m) => `${m.type} ${m.ordinal}`);
}

const firstReplicaUpgraded = (moments: readonly PodMoment[]) =>
  moments.some((m) => m.type === "ready" && m.ordinal === 2 && tagOf(m.image) === "postgres:17.5");

Deno.test("fault 3: the leader killed -9 mid 3-replica upgrade; the standby finishes it in order and every invariant holds", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "fault-kill", async (ns) => {
    const pair = await VigilPair.start(plane, ns);
    try {
      await applyDatabases(plane, ns, { ...databases("other", 5), orders: ORDERS });
      await waitConverged(plane, ns);
      const before = await snapshot(plane, ns);
      const pods = await watchPods(plane, ns, "orders", 3);
      try {
        await patchSpecs(plane, ns, ["orders"], { version: "17.5" });
        await eventually(
          "orders-2 Ready on 17.5",
          () => Promise.resolve(firstReplicaUpgraded(pods.moments) ? true : undefined),
          { intervalMs: 5, timeoutMs: 120_000 },
        );
        const leader = await pair.leader();
        const standby = pair.other(leader);
        const killedAt = Date.now();
        // The kubelet restarts the killed replica only after the standby took over, so
        // that the standby is the one that finishes.
        await pair.kill(leader, false);
        assert.ok(
          !upgradeOrder(pods.moments).includes("ready 0"),
          `the upgrade had finished before the kill: ${JSON.stringify(pods.moments)}`,
        );
        const taken = await eventually(
          "another process to take the Lease",
          () => Promise.resolve(pair.leaseTakenAt(killedAt, identityOfIncarnation(leader)!)),
          { timeoutMs: 60_000, intervalMs: 50 },
        );
        assert.equal(taken.holder, identityOfIncarnation(standby), pair.summary());
        await pair.relaunch(leader.replica);
        const report = await checkInvariants(plane, ns, pair, before, { rolled: ["orders"] });
        console.log(
          `fault 3: Lease taken ${taken.at - killedAt} ms after the kill, ` +
            `converged in ${report.convergeMs} ms, writes settled in ${report.settleMs} ms`,
        );
        assert.deepEqual(upgradeOrder(revisionMoments(pods.moments)), [
          "gone 2",
          "ready 2",
          "gone 1",
          "ready 1",
          "gone 0",
          "ready 0",
        ], JSON.stringify(pods.moments));
        assert.equal(pods.maxUnavailable(), 1, JSON.stringify(pods.moments));
      } finally {
        await pods.stop();
      }
    } finally {
      await deleteDatabases(plane, ns);
      await pair.stop();
    }
  });
});

Deno.test("fault 7: a database pod deleted mid upgrade comes back on its claim; the upgrade finishes in order and every invariant holds", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "fault-poddel", async (ns) => {
    const pair = await VigilPair.start(plane, ns);
    const client = new KubeClient(
      (await loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath })).kubeConfig,
    );
    try {
      await applyDatabases(plane, ns, { ...databases("other", 5), orders: ORDERS });
      await waitConverged(plane, ns);
      const before = await snapshot(plane, ns);
      const pods = await watchPods(plane, ns, "orders", 3);
      try {
        await patchSpecs(plane, ns, ["orders"], { version: "17.5" });
        // Once orders-2 goes for the upgrade, orders-1 (still 16.9, next in line) is deleted
        // too — in process, so the deletion lands well before the rollout reaches it.
        await eventually(
          "orders-2 to go for the upgrade",
          () =>
            Promise.resolve(
              upgradeOrder(pods.moments).includes("gone 2") ? true : undefined,
            ),
          { intervalMs: 5, timeoutMs: 120_000 },
        );
        await client.request("DELETE", `/api/v1/namespaces/${ns}/pods/orders-1`);
        const report = await checkInvariants(plane, ns, pair, before, { rolled: ["orders"] });
        console.log(
          `fault 7: converged in ${report.convergeMs} ms, writes settled in ${report.settleMs} ms`,
        );
        const order = upgradeOrder(pods.moments);
        // The deletion hit orders-1 on 16.9, before the rollout reached it: it came
        // back on 16.9 (the StatefulSet's partition) and the rollout then replaced
        // it — two 16.9 orders-1 gone, both after orders-2 went. Whether orders-2
        // was Ready on 17.5 by then is kwok's timing, not Vigil's.
        const gone1 = order.flatMap((o, i) => o === "gone 1" ? [i] : []);
        assert.ok(
          gone1.length === 2 && order.indexOf("gone 2") < gone1[0]! &&
            gone1[1]! < order.indexOf("ready 1"),
          `orders-1 was deleted mid upgrade, on 16.9 before the rollout reached it: ${
            order.join(", ")
          }`,
        );
        // Each ordinal's first pod Ready on 17.5: a pod kwok replaced again on the
        // same revision (see revisionMoments) is not a second upgrade.
        const readyOnNew = [
          ...new Set(
            pods.moments
              .filter((m) => m.type === "ready" && tagOf(m.image) === "postgres:17.5")
              .map((m) => m.ordinal),
          ),
        ];
        assert.deepEqual(readyOnNew, [2, 1, 0], JSON.stringify(pods.moments));
        // The deleted pod and the one rolling may be down together, never more.
        assert.ok(pods.maxUnavailable() <= 2, JSON.stringify(pods.moments));
      } finally {
        await pods.stop();
      }
    } finally {
      await deleteDatabases(plane, ns);
      await pair.stop();
    }
  });
});
