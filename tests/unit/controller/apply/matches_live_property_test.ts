/**
 * Properties of matchesLive and the applied hash over arbitrary objects:
 * what the apiserver or other managers add never reads as drift, and any
 * change to a value Vigil sets always does.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { appliedHash, matchesLive, withAppliedHash } from "../../../../src/controller/apply/mod.ts";
import type { KubeObject } from "../../../../src/runtime/mod.ts";
import { deepFreeze } from "./_objects.ts";

type Json = Record<string, unknown>;
type Path = ReadonlyArray<string | number>;

// No key here has a special meaning to matchesLive (name, uid, metadata, ports,
// finalizers, resources…): the special keys have their own example tests.
const key = fc.constantFrom("a", "b", "c", "image", "port", "value", "x-y", "example.com/z");
const scalar = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.integer({ min: -5, max: 1000 }),
  fc.boolean(),
);
const itemName = fc.stringMatching(/^[a-z]{1,5}$/);

const { map: mapArb } = fc.letrec<{ value: unknown; map: Json; atomic: unknown[]; named: Json[] }>(
  (tie) => ({
    value: fc.oneof({ depthSize: "small" }, scalar, tie("map"), tie("atomic"), tie("named")),
    map: fc.dictionary(key, tie("value"), { maxKeys: 4 }),
    atomic: fc.array(fc.oneof(scalar, tie("map")), { maxLength: 3 }),
    named: fc.uniqueArray(fc.tuple(itemName, tie("map")), {
      selector: ([name]) => name,
      minLength: 1,
      maxLength: 3,
    }).map((items) => items.map(([name, fields]) => ({ ...fields, name }))),
  }),
);

const desiredArb: fc.Arbitrary<KubeObject> = fc.record({
  name: itemName,
  labels: fc.dictionary(key, fc.string({ maxLength: 6 }), { maxKeys: 3 }),
  spec: mapArb,
}).map(({ name, labels, spec }) =>
  // As objects arrive over the wire: JSON, plain prototypes (fast-check may use null ones).
  JSON.parse(JSON.stringify({
    apiVersion: "example.com/v1",
    kind: "Thing",
    metadata: { name, namespace: "ns", labels },
    spec,
  }))
);

/** A small deterministic PRNG, so a failing case replays from fast-check's seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNamedList(list: readonly unknown[]): boolean {
  return list.length > 0 && list.every((item) => isObject(item) && typeof item.name === "string");
}

function isZero(value: unknown): boolean {
  if (value === false || value === 0 || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  return isObject(value) && Object.values(value).every(isZero);
}

function shuffle<T>(items: T[], rand: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * What a live object may look like for `desired`: extra fields in every map
 * (defaults, status, other managers' labels), extra items in named lists,
 * named items reordered, keys reordered, and zero values dropped (`omitempty`).
 */
function withExtras(value: unknown, rand: () => number): unknown {
  if (Array.isArray(value)) {
    const items = value.map((item) => withExtras(item, rand));
    if (!isNamedList(value)) return items;
    const extra = Math.floor(rand() * 3);
    for (let i = 0; i < extra; i++) items.push({ name: `extra-${i}`, a: rand() });
    return shuffle(items, rand);
  }
  if (!isObject(value)) return value;
  const entries: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(value)) {
    if (isZero(v) && rand() < 0.5) continue;
    entries.push([k, withExtras(v, rand)]);
  }
  const extra = Math.floor(rand() * 3);
  for (let i = 0; i < extra; i++) {
    entries.push([`extra-${i}`, rand() < 0.5 ? rand() : { nested: `default-${i}` }]);
  }
  return Object.fromEntries(shuffle(entries, rand));
}

/** Every path in `value` that ends at a string, number or boolean. */
function scalarLeaves(value: unknown, path: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => scalarLeaves(item, [...path, i]));
  if (isObject(value)) {
    return Object.entries(value).flatMap(([k, v]) => scalarLeaves(v, [...path, k]));
  }
  return value === null || value === undefined ? [] : [path];
}

/** A copy of `obj` with the scalar at `path` changed to a different value of the same type. */
function changedAt<T>(obj: T, path: Path): T {
  const copy = structuredClone(obj);
  let parent = copy as unknown as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  const old = parent[last];
  parent[last] = typeof old === "string" ? `${old}!` : typeof old === "number" ? old + 1 : !old;
  return copy;
}

function reorderedKeys(value: unknown, rand: () => number): unknown {
  if (Array.isArray(value)) return value.map((item) => reorderedKeys(item, rand));
  if (!isObject(value)) return value;
  const entries = Object.entries(value).map(([k, v]) => [k, reorderedKeys(v, rand)] as const);
  return Object.fromEntries(shuffle([...entries], rand));
}

Deno.test("property: a live object with arbitrary extra fields and items still matches", () => {
  fc.assert(
    fc.property(desiredArb, fc.integer(), (raw, seed) => {
      const desired = deepFreeze(withAppliedHash(raw));
      const live = deepFreeze(withExtras(desired, prng(seed)) as KubeObject);
      assert.equal(matchesLive(desired, live), true);
    }),
    { numRuns: 500 },
  );
});

Deno.test("property: changing any scalar Vigil sets in live is a mismatch", () => {
  fc.assert(
    fc.property(desiredArb, fc.nat(), fc.integer(), (raw, pick, seed) => {
      const desired = deepFreeze(withAppliedHash(raw));
      const leaves = scalarLeaves(desired);
      const path = leaves[pick % leaves.length]!;
      const live = deepFreeze(withExtras(changedAt(desired, path), prng(seed)) as KubeObject);
      assert.equal(matchesLive(desired, live), false, `changed ${path.join(".")}`);
    }),
    { numRuns: 500 },
  );
});

Deno.test("property: changing any scalar of the desired object changes its applied hash", () => {
  fc.assert(
    fc.property(desiredArb, fc.nat(), (desired, pick) => {
      const leaves = scalarLeaves(desired);
      const path = leaves[pick % leaves.length]!;
      assert.notEqual(appliedHash(changedAt(desired, path)), appliedHash(desired));
    }),
    { numRuns: 300 },
  );
});

Deno.test("property: the applied hash does not depend on key order", () => {
  fc.assert(
    fc.property(desiredArb, fc.integer(), (desired, seed) => {
      const reordered = reorderedKeys(desired, prng(seed)) as KubeObject;
      assert.equal(appliedHash(reordered), appliedHash(desired));
      assert.deepEqual(withAppliedHash(reordered), withAppliedHash(desired));
    }),
    { numRuns: 300 },
  );
});

Deno.test("property: withAppliedHash is idempotent and leaves its input alone", () => {
  fc.assert(
    fc.property(desiredArb, (raw) => {
      const desired = deepFreeze(structuredClone(raw));
      const once = withAppliedHash(desired);
      assert.deepEqual(withAppliedHash(once), once);
      assert.deepEqual(desired, raw);
    }),
    { numRuns: 300 },
  );
});
