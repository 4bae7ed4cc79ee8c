import assert from "node:assert/strict";
import fc from "fast-check";
import { stableJson } from "../../../src/runtime/mod.ts";

/** Shuffles the keys of every object in `value`, at every depth. */
function reorder(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v) => reorder(v, seed));
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  const rotated = keys.map((_, i) => keys[(i + seed) % keys.length]!).reverse();
  return Object.fromEntries(
    rotated.map((k) => [k, reorder((value as Record<string, unknown>)[k], seed + 1)]),
  );
}

Deno.test("stableJson is the same for objects that differ only in key order, and parses back to them", () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.nat(7), (value, seed) => {
      const text = stableJson(value);
      assert.equal(stableJson(reorder(value, seed)), text);
      assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(value)));
    }),
  );
});

Deno.test("stableJson leaves out undefined keys and writes undefined list items as null, as JSON.stringify", () => {
  assert.equal(stableJson({ b: 1, a: undefined, c: [undefined, 2] }), '{"b":1,"c":[null,2]}');
  assert.equal(stableJson({ b: [{ d: 1, c: 2 }], a: "x" }), '{"a":"x","b":[{"c":2,"d":1}]}');
});
