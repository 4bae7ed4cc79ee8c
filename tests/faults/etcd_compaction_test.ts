/**
 * Fault 2: etcd is compacted while Vigil's watches are away, after changes
 * were made in the gap, so that every informer's resume gets 410 Gone and
 * must relist. On a plane of its own with `--watch-cache=false` (with the
 * watch cache, the apiserver would serve the resume from its own history
 * and no informer would see the compaction); Vigil reaches it through a
 * proxy the test cuts for the gap.
 */
import assert from "node:assert/strict";
import { installDatabaseCrd } from "../support/database_crd.ts";
import { startPlane } from "../support/plane.ts";
import { eventually } from "../support/shared_plane.ts";
import { logRecords } from "../support/vigil_process.ts";
import { deleteDatabases } from "../cluster/controller/_helpers.ts";
import { VigilPair } from "./_harness.ts";
import { checkInvariants, snapshot, waitConverged } from "./_invariants.ts";
import { proxiedApiServer } from "./_proxy.ts";
import { applyDatabases, databases, patchSpecs } from "./_workload.ts";

/** Shorter than the leader's renew deadline (10 s): the gap is for the watches only. */
const GAP_MS = 5_000;

Deno.test("fault 2: etcd compacted while watches are away with changes in the gap; every informer relists after 410 and nothing is lost", async () => {
  const plane = await startPlane({
    apiserverArgs: ["--watch-cache=false"],
    readyTimeoutMs: 180_000,
  });
  const ns = "fault-compaction";
  let pair: VigilPair | undefined;
  const way = await proxiedApiServer(plane);
  let cut = false;
  try {
    // On a fresh plane `kubectl wait` may read the CRD before it has any condition
    // (and fails at once on the missing list): install again until it waits.
    await eventually("the Database CRD to be installed", async () => {
      await installDatabaseCrd(plane);
      return true;
    }, { timeoutMs: 120_000, intervalMs: 1_000 });
    await plane.kubectlOk(["create", "namespace", ns]);
    pair = await VigilPair.start(plane, ns, { kubeconfig: way.kubeconfig });
    await applyDatabases(plane, ns, databases("db", 10));
    await waitConverged(plane, ns);
    const before = await snapshot(plane, ns);
    const gapStart = Date.now();
    await way.proxy.close();
    cut = true;
    await applyDatabases(plane, ns, databases("late", 3));
    await patchSpecs(plane, ns, ["db-0", "db-1"], { config: { work_mem: "16MB" } });
    await patchSpecs(plane, ns, ["db-2"], { replicas: 2 });
    await plane.kubectlOk(["-n", ns, "delete", "db", "db-3", "--wait=false"]);
    const revision = await plane.compactEtcd();
    // The gap is an absence: wait out the rest of it.
    await new Promise((r) => setTimeout(r, Math.max(0, GAP_MS - (Date.now() - gapStart))));
    way.proxy.open();
    cut = false;

    const report = await checkInvariants(plane, ns, pair, before, {
      rolled: ["db-0", "db-1", "db-2"],
      removed: ["db-3"],
    });
    // Every informer of every process that lived through the gap resumed into a 410.
    const relisted = new Set<string>();
    const informers = new Set<string>();
    for (const inc of pair.incarnations.filter((i) => i.startedAt < gapStart)) {
      for (const r of logRecords(inc.vigil.vigil.lines)) {
        if (typeof r.resource !== "string") continue;
        informers.add(`${inc.replica}/${r.resource}`);
        if (r.msg === "watch resourceVersion refused; relisting") {
          relisted.add(`${inc.replica}/${r.resource}`);
        }
      }
    }
    for (const replica of ["a", "b"]) {
      assert.ok(
        relisted.has(`${replica}/databases.vigil.dev/v1`),
        `replica ${replica}'s Database informer relisted after 410: ${[...relisted].join(", ")}`,
      );
    }
    assert.deepEqual(
      [...informers].filter((i) => !relisted.has(i)),
      [],
      "every informer that lost its watch relisted after 410",
    );
    console.log(
      `fault 2: compacted at revision ${revision}; informers that relisted after 410: ` +
        `${[...relisted].sort().join(", ")} (of those that logged: ${informers.size}); ` +
        `converged in ${report.convergeMs} ms, writes settled in ${report.settleMs} ms`,
    );
  } finally {
    if (cut) way.proxy.open();
    if (pair !== undefined) {
      await deleteDatabases(plane, ns).catch(() => {});
      await pair.stop();
    }
    await way.close();
    await plane.stop();
  }
});
