/** The PodDisruptionBudget and when a Database wants one. */
import assert from "node:assert/strict";
import {
  podDisruptionBudget,
  selectorLabels,
  wantsPodDisruptionBudget,
} from "../../../../src/controller/desired/mod.ts";
import { database } from "./fixtures.ts";

Deno.test("a PodDisruptionBudget allows one database pod down at a time", () => {
  const db = database("postgres", { replicas: 3 });
  const pdb = podDisruptionBudget(db);
  assert.equal(pdb.apiVersion, "policy/v1");
  assert.equal(pdb.metadata.name, "shop");
  assert.deepEqual(pdb.spec, {
    maxUnavailable: 1,
    selector: { matchLabels: selectorLabels(db) },
    unhealthyPodEvictionPolicy: "AlwaysAllow",
  });
});

Deno.test("only a Database with more than one replica wants a PodDisruptionBudget", () => {
  assert.equal(wantsPodDisruptionBudget(database("mysql", { replicas: 1 })), false);
  assert.equal(wantsPodDisruptionBudget(database("mysql", { replicas: 2 })), true);
});
