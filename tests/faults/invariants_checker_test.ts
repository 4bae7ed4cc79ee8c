/**
 * The invariants checker itself, on snapshots built by hand: it must flag
 * what the scenarios rely on it to flag (a deleted or recreated object, a
 * replaced pod of a Database nothing rolled) and allow only what a scenario
 * names.
 */
import assert from "node:assert/strict";
import { lostOrRecreated, quantityBytes, type Snapshot } from "./_invariants.ts";

function snap(entries: Record<string, [string, string]>): Snapshot {
  return {
    objects: new Map(
      Object.entries(entries).map(([key, [uid, instance]]) => [key, { uid, instance }]),
    ),
  };
}

const BEFORE = snap({
  "Database/a": ["d1", "a"],
  "StatefulSet/a": ["s1", "a"],
  "Pod/a-0": ["p1", "a"],
  "PersistentVolumeClaim/data-a-0": ["v1", "a"],
  "Database/b": ["d2", "b"],
  "StatefulSet/b": ["s2", "b"],
  "Pod/b-0": ["p2", "b"],
});

Deno.test("the checker passes identical snapshots", () => {
  assert.deepEqual(lostOrRecreated(BEFORE, BEFORE), []);
});

Deno.test("the checker flags a deleted PVC, a recreated StatefulSet and a replaced pod", () => {
  const after = snap({
    "Database/a": ["d1", "a"],
    "StatefulSet/a": ["s9", "a"],
    "Pod/a-0": ["p9", "a"],
    "Database/b": ["d2", "b"],
    "StatefulSet/b": ["s2", "b"],
    "Pod/b-0": ["p2", "b"],
  });
  assert.deepEqual(lostOrRecreated(BEFORE, after), [
    "StatefulSet/a was recreated (s1 → s9)",
    "Pod/a-0 was recreated (p1 → p9)",
    "PersistentVolumeClaim/data-a-0 was deleted",
  ]);
  // Rolling a allows its pods to change, never its claims; resizing allows its StatefulSet.
  assert.deepEqual(lostOrRecreated(BEFORE, after, { rolled: ["a"], resized: ["a"] }), [
    "PersistentVolumeClaim/data-a-0 was deleted",
  ]);
  // Rolling b says nothing about a.
  assert.equal(lostOrRecreated(BEFORE, after, { rolled: ["b"] }).length, 3);
  // A Database the scenario deleted may lose everything.
  assert.deepEqual(
    lostOrRecreated(BEFORE, snap({ "Database/b": ["d2", "b"] }), { removed: ["a"] }),
    ["StatefulSet/b was deleted", "Pod/b-0 was deleted"],
  );
});

Deno.test("quantities compare across suffixes", () => {
  assert.equal(quantityBytes("1Gi"), 1024 ** 3);
  assert.ok(quantityBytes("2Gi") > quantityBytes("2G"));
  assert.equal(quantityBytes("1500M"), 1.5e9);
  assert.throws(() => quantityBytes("ten"), /Cannot read quantity "ten"/);
});
