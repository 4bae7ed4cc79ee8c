/**
 * Fault 8: a conflict storm. A second writer (this test, as its own field
 * manager `storm`) keeps patching the labels and annotations of the same
 * StatefulSets and Databases Vigil reconciles — about 20 writes a second,
 * each bumping the object's resourceVersion — while users change specs.
 * Vigil converges, never removes or takes over the storm's fields, its write
 * rate stays bounded by the work the spec changes need, and every invariant
 * holds.
 */
import assert from "node:assert/strict";
import { KubeClient, loadKubeConfig } from "../../src/kube/mod.ts";
import { installDatabaseCrd } from "../support/database_crd.ts";
import { eventually, sharedPlane, withNamespace } from "../support/shared_plane.ts";
import { deleteDatabases } from "../cluster/controller/_helpers.ts";
import { delay, VigilPair } from "./_harness.ts";
import { checkInvariants, snapshot, waitConverged } from "./_invariants.ts";
import { applyDatabases, databases, patchSpecs } from "./_workload.ts";

const STORM_MS = 40_000;
const STORM_PER_SECOND = 20;
const COUNT = 8;
/** Vigil's writes per changed Database: ConfigMap, StatefulSet, status transitions, events. */
const WRITES_PER_CHANGE = 12;

interface Meta {
  metadata: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: Array<{ manager: string; fieldsV1?: Record<string, unknown> }>;
  };
}

Deno.test("fault 8: a second writer storms labels and annotations of the same objects; Vigil converges, leaves its fields alone, writes stay bounded", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "fault-storm", async (ns) => {
    const pair = await VigilPair.start(plane, ns);
    const storm = new KubeClient(
      (await loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath })).kubeConfig,
      { userAgent: "storm" },
    );
    try {
      await applyDatabases(plane, ns, databases("db", COUNT));
      await waitConverged(plane, ns);
      const before = await snapshot(plane, ns);
      const writesBefore = await pair.writes();

      let stormWrites = 0;
      let stormErrors = 0;
      const last = new Map<string, number>();
      const stormEnd = Date.now() + STORM_MS;
      // Four writers, each on its own objects (so each object's patches stay in order).
      const WRITERS = 4;
      const storming = Promise.all(Array.from({ length: WRITERS }, async (_, w) => {
        let next = performance.now();
        for (let tick = w; Date.now() < stormEnd; tick += WRITERS) {
          const i = tick % COUNT;
          const path = tick % 2 === 0
            ? `/apis/apps/v1/namespaces/${ns}/statefulsets/db-${i}`
            : `/apis/vigil.dev/v1/namespaces/${ns}/databases/db-${i}`;
          try {
            await storm.request("PATCH", `${path}?fieldManager=storm`, {
              contentType: "application/merge-patch+json",
              body: {
                metadata: {
                  labels: { "storm.example.com/tick": String(tick) },
                  annotations: { "storm.example.com/note": `tick ${tick}` },
                },
              },
            });
            last.set(path, tick);
            stormWrites++;
          } catch {
            stormErrors++;
          }
          next += WRITERS * 1_000 / STORM_PER_SECOND;
          await delay(Math.max(0, next - performance.now()));
        }
      }));
      // Users change specs in the middle of the storm, once it is under way.
      await eventually(
        "the storm to write twice per Database",
        () => Promise.resolve(stormWrites >= 2 * COUNT ? true : undefined),
      );
      const changed = ["db-0", "db-1", "db-2", "db-3"];
      await patchSpecs(plane, ns, changed, { config: { max_connections: "120" } });
      await storming;
      const vigilWrites = (await pair.writes()) - writesBefore;

      const report = await checkInvariants(plane, ns, pair, before, { rolled: changed });
      console.log(
        `fault 8: storm ${stormWrites} writes (${stormErrors} errors) in ${STORM_MS} ms; ` +
          `Vigil ${vigilWrites} writes meanwhile for ${changed.length} spec changes; ` +
          `converged in ${report.convergeMs} ms, writes settled in ${report.settleMs} ms`,
      );
      assert.ok(stormWrites >= STORM_PER_SECOND * STORM_MS / 1_000 / 2, "the storm ran");
      assert.ok(
        vigilWrites <= changed.length * WRITES_PER_CHANGE,
        `Vigil wrote ${vigilWrites} times for ${changed.length} changes during the storm`,
      );
      // The storm's fields are still the storm's: Vigil neither removed nor claimed them.
      for (const [path, tick] of last) {
        const obj = await storm.request<Meta>("GET", path);
        assert.equal(obj.metadata.labels?.["storm.example.com/tick"], String(tick), path);
        assert.equal(obj.metadata.annotations?.["storm.example.com/note"], `tick ${tick}`, path);
        const claimed = (obj.metadata.managedFields ?? [])
          .filter((m) =>
            m.manager !== "storm" && JSON.stringify(m.fieldsV1).includes("storm.example.com")
          )
          .map((m) => m.manager);
        assert.deepEqual(claimed, [], `${path}: other managers own the storm's fields`);
      }
    } finally {
      await deleteDatabases(plane, ns);
      await pair.stop();
    }
  });
});
