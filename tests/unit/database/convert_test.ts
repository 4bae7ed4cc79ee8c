import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CONVERSION_ANNOTATION,
  ConversionError,
  convert,
  type DatabaseV1,
  DatabaseV1alpha1Schema,
  DatabaseV1beta1Schema,
  DatabaseV1Schema,
} from "../../../src/database/mod.ts";
import { v1alpha1Arb, v1Arb, v1beta1Arb } from "./arbitraries.ts";

const RUNS = { numRuns: 1000 };

Deno.test("v1 → v1alpha1 → v1 round-trips exactly (property)", () => {
  fc.assert(
    fc.property(v1Arb, (db) => {
      const alpha = convert(db, "vigil.dev/v1alpha1");
      assert.ok(DatabaseV1alpha1Schema.safeParse(alpha).success);
      assert.deepEqual(convert(alpha, "vigil.dev/v1"), db);
    }),
    RUNS,
  );
});

Deno.test("v1 → v1beta1 → v1 round-trips exactly (property)", () => {
  fc.assert(
    fc.property(v1Arb, (db) => {
      const beta = convert(db, "vigil.dev/v1beta1");
      assert.ok(DatabaseV1beta1Schema.safeParse(beta).success);
      assert.deepEqual(convert(beta, "vigil.dev/v1"), db);
    }),
    RUNS,
  );
});

Deno.test("v1alpha1 → v1 → v1alpha1 round-trips exactly (property)", () => {
  fc.assert(
    fc.property(v1alpha1Arb, (alpha) => {
      const hub = convert(alpha, "vigil.dev/v1");
      assert.deepEqual(convert(hub, "vigil.dev/v1alpha1"), alpha);
    }),
    RUNS,
  );
});

Deno.test("v1beta1 → v1alpha1 → v1beta1 round-trips exactly through the hub (property)", () => {
  fc.assert(
    fc.property(v1beta1Arb, (beta) => {
      assert.deepEqual(convert(convert(beta, "vigil.dev/v1alpha1"), "vigil.dev/v1beta1"), beta);
    }),
    RUNS,
  );
});

Deno.test("conversion never mutates its input (property)", () => {
  fc.assert(
    fc.property(v1Arb, (db) => {
      const before = structuredClone(db);
      convert(db, "vigil.dev/v1alpha1");
      convert(db, "vigil.dev/v1beta1");
      assert.deepEqual(db, before);
    }),
    { numRuns: 200 },
  );
});

const hub = (spec: DatabaseV1["spec"], metadata?: DatabaseV1["metadata"]): DatabaseV1 => ({
  apiVersion: "vigil.dev/v1",
  kind: "Database",
  ...(metadata ? { metadata } : {}),
  ...(spec ? { spec } : {}),
});

Deno.test("v1alpha1 fields map onto v1 names", () => {
  const v1 = convert({
    apiVersion: "vigil.dev/v1alpha1",
    kind: "Database",
    metadata: { name: "a" },
    spec: { size: "3", dbVersion: "16.4", storage: "20Gi", backup: true },
  }, "vigil.dev/v1");
  assert.deepEqual(v1, {
    apiVersion: "vigil.dev/v1",
    kind: "Database",
    metadata: { name: "a" },
    spec: { replicas: 3, version: "16.4", storageSize: "20Gi", backupSchedule: "@daily" },
  });
  assert.ok(DatabaseV1Schema.safeParse(v1).success);
});

Deno.test("v1 fields v1alpha1 lacks go into the conversion annotation", () => {
  const alpha = convert(
    hub({ engine: "mysql", replicas: 2, backupSchedule: "0 3 * * *", image: "m:1" }, { name: "a" }),
    "vigil.dev/v1alpha1",
  );
  assert.deepEqual(alpha.spec, { size: "2", backup: true });
  assert.deepEqual(JSON.parse(alpha.metadata?.annotations?.[CONVERSION_ANNOTATION] ?? ""), {
    created: "annotations",
    v1: { backupSchedule: "0 3 * * *", engine: "mysql", image: "m:1" },
  });
});

Deno.test("v1beta1 cannot express image, which is kept in the annotation and restored", () => {
  const beta = convert(hub({ replicas: 1, image: "mirror/postgres:17.5" }), "vigil.dev/v1beta1");
  assert.deepEqual(beta.spec, { replicas: 1 });
  assert.match(beta.metadata?.annotations?.[CONVERSION_ANNOTATION] ?? "", /mirror\/postgres:17\.5/);
  assert.deepEqual(convert(beta, "vigil.dev/v1").spec, {
    replicas: 1,
    image: "mirror/postgres:17.5",
  });
});

Deno.test("objects with nothing to keep get no annotation", () => {
  const beta = convert(
    hub({ replicas: 2, engine: "postgres" }, { name: "a" }),
    "vigil.dev/v1beta1",
  );
  assert.deepEqual(beta.metadata, { name: "a" });
});

Deno.test("a non-canonical size survives the hub and is dropped once replicas changes", () => {
  const v1 = convert(
    { apiVersion: "vigil.dev/v1alpha1", kind: "Database", spec: { size: "03" } },
    "vigil.dev/v1",
  );
  assert.equal(v1.spec?.replicas, 3);
  assert.equal(convert(v1, "vigil.dev/v1alpha1").spec?.size, "03");
  const scaled = { ...v1, spec: { ...v1.spec, replicas: 4 } };
  assert.equal(convert(scaled, "vigil.dev/v1alpha1").spec?.size, "4");
});

Deno.test("backup false survives the hub and a kept schedule is dropped when backup is turned off", () => {
  const v1 = convert({
    apiVersion: "vigil.dev/v1alpha1",
    kind: "Database",
    spec: { backup: false },
  }, "vigil.dev/v1");
  assert.equal(v1.spec?.backupSchedule, undefined);
  assert.equal(convert(v1, "vigil.dev/v1alpha1").spec?.backup, false);
  const alpha = convert(hub({ backupSchedule: "@hourly" }), "vigil.dev/v1alpha1");
  const off = { ...alpha, spec: { ...alpha.spec, backup: false } };
  assert.equal(convert(off, "vigil.dev/v1").spec?.backupSchedule, undefined);
});

Deno.test("a malformed conversion annotation fails conversion naming it instead of being read as empty", () => {
  const alpha = {
    apiVersion: "vigil.dev/v1alpha1" as const,
    kind: "Database" as const,
    metadata: { annotations: { [CONVERSION_ANNOTATION]: "{not json" } },
    spec: { size: "2" },
  };
  assert.throws(() => convert(alpha, "vigil.dev/v1"), (e: unknown) => {
    assert.ok(e instanceof ConversionError);
    assert.match(
      e.message,
      /metadata\.annotations\[vigil\.dev\/conversion-data\]: "\{not json" is not JSON/,
    );
    return true;
  });
});

Deno.test("unknown apiVersions are refused with a ConversionError", () => {
  assert.throws(() => convert(hub({}), "vigil.dev/v2"), (e: unknown) => {
    assert.ok(e instanceof ConversionError && e instanceof TypeError);
    assert.match(e.message, /^Cannot convert Database: unknown target apiVersion "vigil.dev\/v2"/);
    return true;
  });
  const bogus = { apiVersion: "vigil.dev/v9", kind: "Database" } as unknown as DatabaseV1;
  assert.throws(() => convert(bogus, "vigil.dev/v1beta1"), ConversionError);
});

Deno.test("converting to the same version returns an equal copy", () => {
  const db = hub({ replicas: 2 }, { name: "x" });
  const same = convert(db, "vigil.dev/v1");
  assert.deepEqual(same, db);
  assert.notEqual(same, db);
});
