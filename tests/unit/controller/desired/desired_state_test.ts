/** desiredState as a whole: apply order, removals, and properties over any valid Database. */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  canonicalQuantity,
  CONFIG_HASH_ANNOTATION,
  type DesiredOptions,
  desiredState,
  MANAGED_BY_SELECTOR,
  ownerReference,
} from "../../../../src/controller/desired/mod.ts";
import { DatabaseV1Schema, type DefaultedDatabaseV1 } from "../../../../src/database/mod.ts";
import type { KubeObject } from "../../../../src/runtime/mod.ts";
import { v1Arb } from "../../database/arbitraries.ts";
import { database, ENGINES, find, PASSWORD } from "./fixtures.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

const databaseArb: fc.Arbitrary<DefaultedDatabaseV1> = v1Arb.map((db) =>
  DatabaseV1Schema.parse({
    ...db,
    metadata: { ...db.metadata, name: db.metadata?.name ?? "db", namespace: "ns", uid: "u-1" },
  })
);

const optionsArb: fc.Arbitrary<DesiredOptions> = fc.record({
  password: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{24,40}$/), fc.string({ minLength: 1 })),
  registryPrefix: fc.constantFrom("registry.example.com/mirror", "mirror.local/"),
  claimTemplateStorage: fc.constantFrom("10Gi", "1.5Gi", "500Mi"),
  partition: fc.integer({ min: 0, max: 10 }),
}, { requiredKeys: ["password"] });

/** Paths of values the API server would drop or rewrite: undefined, null, "", [], {} (but `emptyDir: {}`). */
function droppedValues(value: unknown, path = "$"): string[] {
  if (value === undefined || value === null || value === "") return [path];
  if (typeof value === "number") {
    return Number.isSafeInteger(value) ? [] : [`${path} (not an integer)`];
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return [path];
    return value.flatMap((v, i) => droppedValues(v, `${path}[${i}]`));
  }
  if (typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0 && !path.endsWith(".emptyDir")) return [path];
    return entries.flatMap(([k, v]) => droppedValues(v, `${path}.${k}`));
  }
  return [];
}

/** Every quantity under resources.requests/limits, with its path. */
function quantities(value: unknown, path = "$"): [string, unknown][] {
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    /\.resources\.(requests|limits)$/.test(path)
      ? [[`${path}.${k}`, v] as [string, unknown]]
      : quantities(v, `${path}.${k}`)
  );
}

function podSpecs(obj: KubeObject): Any[] {
  const spec = obj.spec as Any;
  if (obj.kind === "StatefulSet") return [spec.template.spec];
  if (obj.kind === "CronJob") return [spec.jobTemplate.spec.template.spec];
  return [];
}

Deno.test("desiredState is deterministic: the same input gives deep-equal output", () => {
  fc.assert(
    fc.property(databaseArb, optionsArb, (db, options) => {
      assert.deepEqual(desiredState(db, options), desiredState(structuredClone(db), options));
    }),
    { numRuns: 200 },
  );
});

Deno.test("desiredState emits no undefined, null, empty or fractional value the server would drop", () => {
  fc.assert(
    fc.property(databaseArb, optionsArb, (db, options) => {
      const state = desiredState(db, options);
      assert.deepEqual(droppedValues(state.apply), []);
      assert.deepEqual(JSON.parse(JSON.stringify(state)), state);
    }),
    { numRuns: 200 },
  );
});

Deno.test("every quantity desiredState emits is already in canonical form", () => {
  fc.assert(
    fc.property(databaseArb, optionsArb, (db, options) => {
      const found = desiredState(db, options).apply.flatMap((obj) => quantities(obj));
      // StatefulSet: cpu and memory requests, the claim template's storage, at least.
      assert.ok(found.length >= 3, JSON.stringify(found));
      for (const [path, q] of found) {
        assert.equal(typeof q, "string", path);
        assert.equal(canonicalQuantity(q as string), q, path);
      }
    }),
    { numRuns: 100 },
  );
});

Deno.test("every object is named, labelled managed-by vigil and owned (but a retained backup PVC)", () => {
  fc.assert(
    fc.property(databaseArb, optionsArb, (db, options) => {
      const [key, value] = MANAGED_BY_SELECTOR.split("=");
      for (const obj of desiredState(db, options).apply) {
        const what = `${obj.kind}/${obj.metadata?.name}`;
        assert.ok(obj.apiVersion && obj.kind && obj.metadata?.name, what);
        assert.equal(obj.metadata?.namespace, "ns", what);
        assert.equal(obj.metadata?.labels?.[key ?? ""], value, what);
        const retainedBackup = obj.kind === "PersistentVolumeClaim" &&
          db.spec.pvcDeletionPolicy === "Retain";
        assert.deepEqual(
          obj.metadata?.ownerReferences,
          retainedBackup ? undefined : [ownerReference(db)],
          what,
        );
        for (const pod of podSpecs(obj)) {
          assert.equal(pod.securityContext.runAsNonRoot, true, what);
          assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault", what);
          for (const c of pod.containers) {
            assert.equal(c.securityContext.allowPrivilegeEscalation, false, what);
            assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"], what);
          }
        }
      }
    }),
    { numRuns: 100 },
  );
});

Deno.test("the apply order and removals follow replicas and backupSchedule", () => {
  fc.assert(
    fc.property(databaseArb, optionsArb, (db, options) => {
      const state = desiredState(db, options);
      const kinds = state.apply.map((o) => o.kind);
      const backup = db.spec.backupSchedule !== undefined;
      const pdb = db.spec.replicas > 1;
      assert.deepEqual(kinds, [
        "Secret",
        "ConfigMap",
        "Service",
        "Service",
        "StatefulSet",
        ...(pdb ? ["PodDisruptionBudget"] : []),
        ...(backup ? ["PersistentVolumeClaim", "CronJob"] : []),
      ]);
      const removed = state.remove.map((r) => r.kind);
      assert.deepEqual(removed, [
        ...(pdb ? [] : ["PodDisruptionBudget"]),
        ...(backup ? [] : ["CronJob"]),
      ]);
      assert.ok(!removed.includes("PersistentVolumeClaim"));
    }),
    { numRuns: 100 },
  );
});

for (const engine of ENGINES) {
  Deno.test(`${engine}: a single-replica Database without backups removes the PDB and CronJob`, () => {
    const state = desiredState(database(engine), { password: PASSWORD });
    assert.deepEqual(state.remove, [
      { apiVersion: "policy/v1", kind: "PodDisruptionBudget", name: "shop" },
      { apiVersion: "batch/v1", kind: "CronJob", name: "shop-backup" },
    ]);
    const sts = find(state.apply, "StatefulSet") as Any;
    assert.equal(sts.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION], state.configHash);
  });

  Deno.test(`${engine}: three replicas with backups apply the PDB, backup PVC and CronJob`, () => {
    const db = database(engine, { replicas: 3, backupSchedule: "@daily" });
    const state = desiredState(db, { password: PASSWORD, registryPrefix: "mirror.local/m" });
    assert.deepEqual(state.remove, []);
    assert.equal(find(state.apply, "PodDisruptionBudget").metadata?.name, "shop");
    assert.equal(find(state.apply, "PersistentVolumeClaim").metadata?.name, "shop-backup");
    const cron = find(state.apply, "CronJob") as Any;
    assert.match(
      cron.spec.jobTemplate.spec.template.spec.containers[0].image,
      /^mirror\.local\/m\//,
    );
  });
}
