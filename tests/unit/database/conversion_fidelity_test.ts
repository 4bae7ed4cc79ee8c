/**
 * Conversion fidelity over all three versions (issue 10 item 21): every
 * object the apiserver would accept in any version — generated from that
 * version's schema, as written fresh or as read back and edited through
 * another version — converts to v1 and back without loss or invention, and
 * the v1 object is one the v1 schema accepts. What conversion cannot carry
 * must be refused: by the version's schema, or, for an unreadable
 * `vigil.dev/conversion-data` annotation, by a ConversionError naming it.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type AnyDatabase,
  CONVERSION_ANNOTATION,
  ConversionError,
  convert,
  type DatabaseApiVersion,
  DatabaseSpecV1alpha1Schema,
  DatabaseSpecV1beta1Schema,
  DatabaseSpecV1Schema,
  DatabaseV1alpha1Schema,
  DatabaseV1beta1Schema,
  DatabaseV1Schema,
  defaultDatabase,
  toJsonPatch,
  validateDatabase,
} from "../../../src/database/mod.ts";
import jsonPatch from "fast-json-patch";
import { hostileAlphaSpecArb, hostileSpecArb, metadataArb, statusArb } from "./arbitraries.ts";
import { specArbitrary } from "./schema_arbitrary.ts";
import type { z } from "zod";

const RUNS = { numRuns: 1500 };

interface Version {
  apiVersion: DatabaseApiVersion;
  spec: z.ZodType;
  object: z.ZodType;
}

/** Built once per version: deriving them from the zod schema is the slow part. */
const SPEC_ARBS = new Map<z.ZodType, fc.Arbitrary<Record<string, unknown>>>();
function specArb(version: Version): fc.Arbitrary<Record<string, unknown>> {
  let arb = SPEC_ARBS.get(version.spec);
  if (arb === undefined) SPEC_ARBS.set(version.spec, arb = specArbitrary(version.spec));
  return arb;
}

const VERSIONS: Version[] = [
  { apiVersion: "vigil.dev/v1", spec: DatabaseSpecV1Schema, object: DatabaseV1Schema },
  {
    apiVersion: "vigil.dev/v1beta1",
    spec: DatabaseSpecV1beta1Schema,
    object: DatabaseV1beta1Schema,
  },
  {
    apiVersion: "vigil.dev/v1alpha1",
    spec: DatabaseSpecV1alpha1Schema,
    object: DatabaseV1alpha1Schema,
  },
];

const V1 = VERSIONS[0]!;

function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

/** A fresh object of `version` as a client may write it (no conversion annotation). */
function freshArb(version: Version): fc.Arbitrary<AnyDatabase> {
  return fc.record({
    apiVersion: fc.constant(version.apiVersion),
    kind: fc.constant("Database" as const),
    metadata: metadataArb,
    spec: specArb(version),
    status: statusArb,
  }, { requiredKeys: ["apiVersion", "kind", "spec"] }).map((o) => plain(o) as AnyDatabase);
}

/** A user's edit of a spec: some fields set to new schema-valid values, some removed. */
function edit(version: Version, spec: Record<string, unknown>) {
  return fc.tuple(specArb(version), fc.subarray(Object.keys(spec))).map(
    ([changes, removed]) => {
      const out: Record<string, unknown> = { ...spec };
      for (const key of removed) delete out[key];
      return plain({ ...out, ...changes });
    },
  );
}

/**
 * Objects as they exist after use: written in one version, read back in
 * another (carrying the conversion annotation), edited there, and so on,
 * three hops. Every object along the way is one the apiserver accepts.
 */
const historyArb: fc.Arbitrary<AnyDatabase[]> = fc.constantFrom(...VERSIONS).chain((first) =>
  fc.tuple(
    freshArb(first),
    fc.array(fc.tuple(fc.constantFrom(...VERSIONS), fc.boolean()), {
      minLength: 1,
      maxLength: 3,
    }),
  ).chain(([start, hops]) => {
    let chain: fc.Arbitrary<AnyDatabase[]> = fc.constant([start]);
    for (const [to, edits] of hops) {
      chain = chain.chain((seen) => {
        const read = convert(seen[seen.length - 1]!, to.apiVersion);
        if (!edits) return fc.constant([...seen, read]);
        return edit(to, (read.spec ?? {}) as Record<string, unknown>).map((spec) => [
          ...seen,
          { ...read, spec } as AnyDatabase,
        ]);
      });
    }
    return chain;
  })
);

function versionOf(obj: AnyDatabase): Version {
  return VERSIONS.find((v) => v.apiVersion === obj.apiVersion)!;
}

/** What the v1 spec may hold, given the object it was converted from: nothing invented. */
function assertNothingInvented(source: AnyDatabase, hub: AnyDatabase): void {
  const spec = (hub.spec ?? {}) as Record<string, unknown>;
  if (source.apiVersion === "vigil.dev/v1alpha1") {
    const alpha = (source.spec ?? {}) as Record<string, unknown>;
    assert.equal("replicas" in spec, alpha.size !== undefined, "replicas iff size");
    if (alpha.size !== undefined) assert.equal(spec.replicas, Number(alpha.size));
    assert.equal(spec.version, alpha.dbVersion);
    assert.equal(spec.storageSize, alpha.storage);
    assert.equal("backupSchedule" in spec, alpha.backup === true, "backupSchedule iff backup");
  } else {
    const given = (source.spec ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(given)) assert.deepEqual(spec[key], value, key);
    const extra = Object.keys(spec).filter((k) => !(k in given));
    assert.ok(extra.every((k) => k === "image"), `invented ${extra.join(", ")}`);
  }
}

/**
 * The object without Vigil's conversion bookkeeping: every user-visible part
 * (spec, status, labels, every other annotation) stays.
 */
function withoutConversionData(obj: AnyDatabase): AnyDatabase {
  const out = structuredClone(obj);
  const annotations = out.metadata?.annotations;
  if (annotations !== undefined) {
    delete annotations[CONVERSION_ANNOTATION];
    // Containers the bookkeeping alone needed go with it (compared the same way on both sides).
    if (Object.keys(annotations).length === 0) delete out.metadata!.annotations;
  }
  if (out.metadata !== undefined && Object.keys(out.metadata).length === 0) delete out.metadata;
  return out;
}

/**
 * Converts `obj` to v1 and back. With `exact`, the result must equal `obj`
 * entirely; otherwise everything but the conversion annotation must, and the
 * annotation must have settled (a second trip changes nothing): an entry
 * that an edit in another version made stale (a kept `size: "03"` once
 * replicas changed) is dropped, never applied.
 */
function assertRoundTrip(obj: AnyDatabase, exact: boolean): void {
  const version = versionOf(obj);
  const hub = convert(obj, "vigil.dev/v1");
  if (exact && version.object.safeParse(obj).success) {
    const parsed = V1.object.safeParse(hub);
    assert.ok(parsed.success, `v1 refuses the converted object: ${parsed.error?.message}`);
  }
  assertNothingInvented(obj, hub);
  const back = convert(hub, obj.apiVersion);
  if (exact) {
    assert.deepEqual(back, obj);
    return;
  }
  assert.deepEqual(withoutConversionData(back), withoutConversionData(obj));
  assert.deepEqual(convert(convert(back, "vigil.dev/v1"), obj.apiVersion), back);
}

for (const version of VERSIONS) {
  Deno.test(`any ${version.apiVersion} object the schema accepts converts to v1 and back without loss or invention (property)`, () => {
    fc.assert(fc.property(freshArb(version), (obj) => assertRoundTrip(obj, true)), RUNS);
  });
}

Deno.test("objects read and edited through other versions convert to v1 and back without loss (property)", () => {
  fc.assert(
    fc.property(historyArb, (history) => {
      // Objects read back unedited carry exactly what conversion wrote: exact.
      for (const [i, obj] of history.entries()) assertRoundTrip(obj, i === 0);
    }),
    RUNS,
  );
});

Deno.test("v1 objects convert to every version and back without loss (property)", () => {
  fc.assert(
    fc.property(
      historyArb,
      fc.constantFrom(...VERSIONS.map((v) => v.apiVersion)),
      (history, to) => {
        const hub = convert(history[history.length - 1]!, "vigil.dev/v1");
        const back = convert(convert(hub, to), "vigil.dev/v1");
        assert.deepEqual(withoutConversionData(back), withoutConversionData(hub));
        assert.deepEqual(convert(convert(back, to), "vigil.dev/v1"), back);
      },
    ),
    RUNS,
  );
});

/**
 * Conversion annotations Vigil never writes: junk text, wrong shapes, values
 * a field refuses. Each must be refused by conversion (a ConversionError
 * naming it) or, on a v1 object, by validation; or else carried losslessly.
 */
const unreadableAnnotationArb = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    "{not json",
    "null",
    "[]",
    '"text"',
    "{}",
    '{"v1":{"engine":5}}',
    '{"v1":{"replicas":"three"}}',
    '{"v1":"mysql"}',
    '{"v1alpha1":{"size":"abc"}}',
    '{"v1alpha1":{"backup":true}}',
    '{"created":"nothing","v1":{"image":"x"}}',
    '{"unknown":{"engine":"mysql"}}',
  ),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
);

Deno.test("an unreadable conversion annotation is refused naming it, never read as empty (property)", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...VERSIONS.map((v) => v.apiVersion)),
      fc.constantFrom(...VERSIONS.map((v) => v.apiVersion)),
      unreadableAnnotationArb,
      fc.context(),
      (from, to, text, ctx) => {
        const obj = plain({
          apiVersion: from,
          kind: "Database",
          metadata: { name: "orders", annotations: { [CONVERSION_ANNOTATION]: text } },
          spec: from === "vigil.dev/v1alpha1" ? { size: "2" } : { replicas: 2, engine: "mysql" },
        }) as AnyDatabase;
        if (from === to) return;
        let converted: AnyDatabase;
        try {
          converted = convert(obj, to);
        } catch (err) {
          assert.ok(err instanceof ConversionError, String(err));
          assert.match(err.message, /metadata\.annotations\[vigil\.dev\/conversion-data\]/);
          return;
        }
        // Accepted: an object with it cannot be stored while the webhooks run (validation sees
        // every write as v1), or it was readable after all and nothing may be lost on the
        // trip back.
        const refused = validateDatabase(convert(obj, "vigil.dev/v1"), undefined, {
          storageClass: () => ({ exists: true, allowVolumeExpansion: true }),
        }).some((p) => p.path === `metadata.annotations[${CONVERSION_ANNOTATION}]`);
        if (refused) return;
        ctx.log(`accepted ${text} from ${from} to ${to}`);
        assert.deepEqual(
          withoutConversionData(convert(converted, from)),
          withoutConversionData(obj),
        );
      },
    ),
    RUNS,
  );
});

/** Objects read through v1beta1 or v1alpha1 that carry what their version cannot express. */
const carryingArb = historyArb.map((history) => history[history.length - 1]!).filter((obj) =>
  obj.apiVersion !== "vigil.dev/v1" &&
  obj.metadata?.annotations?.[CONVERSION_ANNOTATION] !== undefined
);

Deno.test("a corrupted conversion annotation fails conversion instead of turning the kept values into defaults (property)", () => {
  fc.assert(
    fc.property(
      carryingArb,
      fc.nat(),
      fc.constantFrom("truncate", "unquote", "retype"),
      (obj, at, how) => {
        const text = obj.metadata!.annotations![CONVERSION_ANNOTATION]!;
        const i = at % text.length;
        // Each corruption leaves text conversion cannot read: cut JSON, quotes gone, a part
        // turned into a string.
        const retyped = () => {
          const data = JSON.parse(text) as Record<string, unknown>;
          const part = Object.keys(data).find((k) => k !== "created") ?? "created";
          return JSON.stringify({ ...data, [part]: JSON.stringify(data[part]) });
        };
        const corrupted = how === "truncate"
          ? text.slice(0, i)
          : how === "unquote"
          ? text.replace(/"/g, "'")
          : retyped();
        if (corrupted === text) return;
        const broken = structuredClone(obj);
        broken.metadata!.annotations![CONVERSION_ANNOTATION] = corrupted;
        const intact = convert(obj, "vigil.dev/v1");
        let hub: AnyDatabase;
        try {
          hub = convert(broken, "vigil.dev/v1");
        } catch (err) {
          assert.ok(err instanceof ConversionError, String(err));
          assert.match(err.message, /metadata\.annotations\[vigil\.dev\/conversion-data\]/);
          return;
        }
        // Still readable: then every kept value must still arrive.
        assert.deepEqual(hub.spec, intact.spec, `read ${corrupted} as something else`);
      },
    ),
    RUNS,
  );
});

Deno.test("validation refuses a v1 object whose conversion annotation conversion could not read, naming it", () => {
  const ctx = { storageClass: () => ({ exists: true, allowVolumeExpansion: true }) };
  const db = (text: string) => ({
    apiVersion: "vigil.dev/v1" as const,
    kind: "Database" as const,
    metadata: { name: "orders", annotations: { [CONVERSION_ANNOTATION]: text } },
    spec: { version: "17.5" },
  });
  const [problem] = validateDatabase(db('{"v1":{"engine":"mysql"}'), undefined, ctx);
  assert.equal(problem?.path, "metadata.annotations[vigil.dev/conversion-data]");
  assert.match(problem?.message ?? "", /is not conversion data Vigil can read; accepted: /);
  // What conversion writes on a v1 object passes.
  assert.deepEqual(validateDatabase(db('{"v1alpha1":{"size":"03"}}'), undefined, ctx), []);
});

/** Every value in `sent` is in `got` unchanged; `got` may hold more keys in objects. */
function assertKept(sent: unknown, got: unknown, path: string): void {
  const isMap = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isMap(sent) || !isMap(got)) {
    assert.deepEqual(got, sent, path);
    return;
  }
  for (const [key, value] of Object.entries(sent)) assertKept(value, got[key], `${path}.${key}`);
}

/**
 * What a client sends in v1beta1 or v1alpha1, after the apiserver's pruning
 * (no fields the version lacks) but before its schema check, which comes
 * after the mutating webhook.
 */
const sentArb = fc.oneof(
  hostileAlphaSpecArb.map((spec) => ({ apiVersion: "vigil.dev/v1alpha1" as const, spec })),
  hostileSpecArb.map((spec) => ({ apiVersion: "vigil.dev/v1beta1" as const, spec })),
).map(({ apiVersion, spec }) => {
  // The apiserver prunes fields the version does not have before anything else runs.
  const known = Object.keys(
    (apiVersion === "vigil.dev/v1alpha1" ? DatabaseSpecV1alpha1Schema : DatabaseSpecV1beta1Schema)
      .shape,
  );
  const pruned = typeof spec === "object" && spec !== null && !Array.isArray(spec)
    ? Object.fromEntries(Object.entries(spec).filter(([k]) => known.includes(k)))
    : spec;
  return {
    apiVersion,
    kind: "Database",
    metadata: { name: "orders", namespace: "shop" },
    spec: pruned,
  } as AnyDatabase;
});

Deno.test("whatever a client sends in v1beta1 or v1alpha1 reaches v1 and comes back exactly as sent through the mutating webhook, for its own schema to refuse (property)", () => {
  fc.assert(
    fc.property(sentArb, (sent) => {
      const hub = convert(sent, "vigil.dev/v1");
      assert.deepEqual(convert(hub, sent.apiVersion), sent);
      // The apiserver converts back what the mutating webhook patched: every value sent is
      // still there, unchanged; only fields the client left out may have been added.
      const patched = jsonPatch.applyPatch(
        structuredClone(hub),
        toJsonPatch(defaultDatabase(hub)),
        true,
        false,
      ).newDocument;
      assertKept(sent.spec, convert(patched, sent.apiVersion).spec, "spec");
    }),
    RUNS,
  );
});

Deno.test("a v1alpha1 size that converts to no valid replicas is refused by the v1alpha1 schema", () => {
  for (const size of ["0", "00", "11", "99", "999", "-1", "", "1.5", " 3"]) {
    const parsed = DatabaseSpecV1alpha1Schema.safeParse({ size });
    assert.equal(parsed.success, false, `size ${JSON.stringify(size)} is accepted`);
  }
  for (const size of ["1", "3", "10", "03", "010", "001"]) {
    assert.ok(DatabaseSpecV1alpha1Schema.safeParse({ size }).success, size);
  }
});
