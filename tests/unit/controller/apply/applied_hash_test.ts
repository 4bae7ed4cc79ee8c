import assert from "node:assert/strict";
import {
  APPLIED_HASH_ANNOTATION,
  appliedHash,
  withAppliedHash,
} from "../../../../src/controller/apply/mod.ts";
import { stableJson } from "../../../../src/runtime/mod.ts";
import { configMap, deepFreeze } from "./_objects.ts";

Deno.test("stableJson sorts keys at every depth and keeps list order", () => {
  assert.equal(
    stableJson({ b: 1, a: [{ d: 1, c: 2 }, 3], u: undefined }),
    '{"a":[{"c":2,"d":1},3],"b":1}',
  );
});

Deno.test("the applied hash is 32 hex characters of SHA-256", () => {
  assert.match(appliedHash(configMap("ns")), /^[0-9a-f]{32}$/);
});

Deno.test("withAppliedHash annotates a copy and leaves a frozen input alone", () => {
  const desired = deepFreeze(configMap("ns"));
  const hashed = withAppliedHash(desired);
  assert.equal(hashed.metadata?.annotations?.[APPLIED_HASH_ANNOTATION], appliedHash(desired));
  assert.equal(desired.metadata?.annotations, undefined);
  assert.deepEqual(hashed.data, desired.data);
  assert.equal(Object.isFrozen(hashed), false);
});

Deno.test("withAppliedHash keeps the object's own annotations", () => {
  const desired = { ...configMap("ns"), metadata: { name: "c", annotations: { note: "x" } } };
  assert.deepEqual(Object.keys(withAppliedHash(desired).metadata?.annotations ?? {}), [
    "note",
    APPLIED_HASH_ANNOTATION,
  ]);
});

Deno.test("the hash ignores a stale applied-hash annotation already on the object", () => {
  const desired = configMap("ns");
  const stale = {
    ...desired,
    metadata: { ...desired.metadata, annotations: { [APPLIED_HASH_ANNOTATION]: "stale" } },
  };
  assert.equal(appliedHash(stale), appliedHash(desired));
  assert.deepEqual(withAppliedHash(stale), withAppliedHash(desired));
});

Deno.test("the hash changes when a field is added, removed or changed", () => {
  const desired = configMap("ns");
  const hashes = new Set([
    appliedHash(desired),
    appliedHash({ ...desired, data: {} }),
    appliedHash({ ...desired, immutable: true }),
    appliedHash({ ...desired, data: { "postgresql.conf": "max_connections = 101\n" } }),
  ]);
  assert.equal(hashes.size, 4);
});
