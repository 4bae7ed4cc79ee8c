/** Object names, labels, the selector and the owner reference. */
import assert from "node:assert/strict";
import {
  MANAGED_BY_SELECTOR,
  objectNames,
  ownedLabels,
  ownerReference,
  selectorLabels,
} from "../../../../src/controller/desired/mod.ts";
import { database } from "./fixtures.ts";

Deno.test("objects are named after the Database as the contract says", () => {
  assert.deepEqual(objectNames(database("postgres")), {
    credentials: "shop-credentials",
    config: "shop-config",
    headless: "shop-headless",
    client: "shop",
    statefulSet: "shop",
    pdb: "shop",
    cronJob: "shop-backup",
    backupPvc: "shop-backup",
  });
});

Deno.test("owned labels name the engine, instance, component and vigil as manager", () => {
  assert.deepEqual(ownedLabels(database("mysql"), "config"), {
    "app.kubernetes.io/name": "mysql",
    "app.kubernetes.io/instance": "shop",
    "app.kubernetes.io/component": "config",
    "app.kubernetes.io/managed-by": "vigil",
  });
  const [key, value] = MANAGED_BY_SELECTOR.split("=");
  assert.equal(ownedLabels(database("mysql"), "anything")[key ?? ""], value);
});

Deno.test("the selector is a subset of the database pods' labels and excludes other components", () => {
  const db = database("postgres");
  const selector = selectorLabels(db);
  const pod = ownedLabels(db, "database");
  for (const [k, v] of Object.entries(selector)) assert.equal(pod[k], v);
  const backup = ownedLabels(db, "backup");
  assert.ok(Object.entries(selector).some(([k, v]) => backup[k] !== v));
  const other = selectorLabels(database("postgres", {}, "other"));
  assert.notDeepEqual(other, selector);
});

Deno.test("labels and selector do not depend on mutable spec fields", () => {
  const a = database("postgres", { replicas: 1, storageSize: "1Gi" });
  const b = database("postgres", { replicas: 5, storageSize: "9Gi", backupSchedule: "@daily" });
  assert.deepEqual(selectorLabels(a), selectorLabels(b));
  assert.deepEqual(ownedLabels(a, "database"), ownedLabels(b, "database"));
});

Deno.test("the owner reference is the controlling vigil.dev/v1 Database", () => {
  assert.deepEqual(ownerReference(database("postgres")), {
    apiVersion: "vigil.dev/v1",
    kind: "Database",
    name: "shop",
    uid: "6b1f6a4e-0000-4000-8000-000000000001",
    controller: true,
    blockOwnerDeletion: true,
  });
});

Deno.test("a Database without name, namespace or uid cannot be built, and the error says which", () => {
  const db = database("postgres");
  const without = (field: string) => ({
    ...db,
    metadata: { ...db.metadata, [field]: undefined },
  });
  assert.throws(() => objectNames(without("name")), /metadata\.name/);
  assert.throws(() => ownedLabels(without("namespace"), "x"), /metadata\.namespace/);
  assert.throws(() => ownerReference(without("uid")), /metadata\.uid/);
});
