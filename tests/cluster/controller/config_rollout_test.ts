/**
 * Config rollouts on the kwok plane: a new `spec.config` renders a new
 * ConfigMap and rolls the pods one at a time through the config-hash
 * annotation (the same ordering as upgrades), with a ConfigChanged event that
 * names the changed parameters and never their values; re-applying an
 * unchanged manifest rolls nothing.
 */
import assert from "node:assert/strict";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";
import {
  applyDatabase,
  deleteDatabases,
  getJson,
  revisionMoments,
  startScopedVigil,
  total,
  waitReady,
  watchPods,
} from "./_helpers.ts";

interface Db {
  status?: {
    configHash?: string;
    conditions?: Array<{ type: string; status: string }>;
  };
}

interface EventList {
  items: Array<{ reason: string; message: string }>;
}

Deno.test("a config change rolls pods 2 → 1 → 0 and changes the hash; an unchanged apply rolls nothing", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "config", async (ns) => {
    // Without leader election: Lease renewals are writes too, and not the reconciler's.
    const vigil = await startScopedVigil(plane, ns, { extraArgs: ["--leader-elect=false"] });
    try {
      const spec = {
        engine: "postgres",
        version: "17.5",
        replicas: 3,
        storageSize: "1Gi",
        config: { max_connections: "100" },
      };
      await applyDatabase(plane, ns, "orders", spec);
      await waitReady(plane, ns, "orders");
      const first = await getJson<Db>(plane, ns, "db/orders");
      const pods = await watchPods(plane, ns, "orders", 3);
      try {
        // Unchanged: no write, no pod replaced.
        const before = total(await vigil.writes());
        await applyDatabase(plane, ns, "orders", spec);
        await new Promise((r) => setTimeout(r, 3_000));
        assert.equal(total(await vigil.writes()) - before, 0, "writes after an unchanged apply");
        assert.equal(pods.moments.length, 0, "pods after an unchanged apply");

        const secretValue = "31337kB";
        await applyDatabase(plane, ns, "orders", {
          ...spec,
          config: { max_connections: "200", work_mem: secretValue },
        });
        const done = await eventually("a new config hash, Ready", async () => {
          const db = await getJson<Db>(plane, ns, "db/orders");
          const ready = db?.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
          return ready && db?.status?.configHash !== first?.status?.configHash ? db : undefined;
        }, { timeoutMs: 120_000 });
        assert.ok(done.status?.configHash);
        const revisions = new Set(
          pods.moments.filter((m) => m.type === "ready").map((m) => m.revision),
        );
        assert.equal(revisions.size, 1, JSON.stringify(pods.moments));
        const order = revisionMoments(pods.moments).map((m) => `${m.type} ${m.ordinal}`);
        assert.deepEqual(
          order,
          ["gone 2", "ready 2", "gone 1", "ready 1", "gone 0", "ready 0"],
          JSON.stringify(pods.moments),
        );
        assert.equal(pods.maxUnavailable(), 1);
      } finally {
        await pods.stop();
      }
      const events = JSON.parse(
        await plane.kubectlOk([
          "-n",
          ns,
          "get",
          "events",
          "--field-selector",
          "involvedObject.kind=Database,reason=ConfigChanged",
          "-o",
          "json",
        ]),
      ) as EventList;
      assert.equal(events.items.length, 1);
      const message = events.items[0]!.message;
      assert.match(message, /\(max_connections, work_mem\)/);
      assert.doesNotMatch(message, /200|31337/);
      await deleteDatabases(plane, ns);
    } finally {
      await vigil.stop();
    }
  });
});
