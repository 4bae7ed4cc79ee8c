/**
 * The admission handlers under hostile input (issue 10 item 20).
 *
 * The mutating webhook runs before the CRD schema has checked anything, so it
 * sees whatever a client sends. These tests send arbitrary JSON specs through
 * the real router (as the apiserver's AdmissionReview would arrive) and check
 * that defaulting never answers 5xx and never touches what it cannot read, and
 * that validation never throws and refuses with the field, the value and what
 * is accepted.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import jsonPatch from "fast-json-patch";
import {
  DatabaseSpecV1Schema,
  mutateDatabaseHandler,
  storageClassLookup,
  validateDatabaseHandler,
} from "../../../src/database/mod.ts";
import { type AdmissionResponse, WebhookRouter } from "../../../src/webhook/mod.ts";
import { hostileSpecArb } from "./arbitraries.ts";

const lookup = storageClassLookup(() => [
  {
    metadata: {
      name: "standard",
      annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
    },
    allowVolumeExpansion: true,
  },
]);

const router = new WebhookRouter()
  .registerAdmission("/mutate", mutateDatabaseHandler({ runsNamespace: () => true }))
  .registerAdmission("/validate", validateDatabaseHandler(lookup));

/** A v1 Database around `spec` (absent when `undefined`), as the apiserver sends it. */
function database(spec: unknown): Record<string, unknown> {
  return {
    apiVersion: "vigil.dev/v1",
    kind: "Database",
    metadata: { name: "orders", namespace: "shop" },
    ...(spec === undefined ? {} : { spec }),
  };
}

/** Posts one AdmissionReview through the router; fails the test on anything but a 200 review. */
async function admit(
  path: "/mutate" | "/validate",
  object: Record<string, unknown>,
  oldObject: Record<string, unknown> | null = null,
): Promise<AdmissionResponse> {
  const body = {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "u1",
      kind: { group: "vigil.dev", version: "v1", kind: "Database" },
      resource: { group: "vigil.dev", version: "v1", resource: "databases" },
      name: "orders",
      namespace: "shop",
      operation: oldObject === null ? "CREATE" : "UPDATE",
      userInfo: { username: "alice" },
      object,
      oldObject,
    },
  };
  const res = await router.handle(
    new Request(`https://vigil.test${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
  assert.equal(res.status, 200, await res.clone().text());
  const review = await res.json() as { response: AdmissionResponse };
  const code = review.response.status?.code ?? 200;
  assert.ok(code < 500, `${path} answered ${code}: ${review.response.status?.message}`);
  return review.response;
}

function decodePatch(patch: string): jsonPatch.Operation[] {
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(patch), (c) => c.charCodeAt(0))));
}

/** The value at a JSON Pointer, or `undefined` when some segment is missing. */
function at(root: unknown, pointer: string): unknown {
  let node = root;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** JSON of a value as denials show it (cut at 80 characters), or `unset`. */
function shown(value: unknown): string {
  if (value === undefined) return "unset";
  const text = JSON.stringify(value);
  return text.length > 80 ? text.slice(0, 77) : text;
}

const RUNS = { numRuns: 600 };

Deno.test("mutate never answers 5xx and only adds fields that were absent, for arbitrary JSON specs (property)", async () => {
  await fc.assert(
    fc.asyncProperty(
      hostileSpecArb,
      fc.option(hostileSpecArb, { nil: undefined }),
      async (spec, oldSpec) => {
        const object = database(spec);
        const old = oldSpec === undefined ? null : database(oldSpec);
        const res = await admit("/mutate", object, old);
        assert.equal(res.allowed, true, res.status?.message ?? "");
        if (res.patch === undefined) return;
        const ops = decodePatch(res.patch);
        for (const op of ops) {
          assert.equal(op.op, "add", JSON.stringify(op));
          // A set value is never overwritten, and nothing is put under a value that is
          // not an object: what defaulting cannot read stays for validation to refuse.
          assert.equal(at(object, op.path), undefined, `overwrites ${op.path}`);
          const parent = at(object, op.path.slice(0, op.path.lastIndexOf("/")) || "");
          const parentIsObject = op.path.lastIndexOf("/") === 0 ||
            (typeof parent === "object" && parent !== null && !Array.isArray(parent));
          assert.ok(parentIsObject, `adds under a non-object at ${op.path}`);
        }
        const result = jsonPatch.applyPatch(structuredClone(object), ops, true, false).newDocument;
        assert.equal(
          jsonPatch.compare(object, result).every((op) => op.op === "add"),
          true,
        );
      },
    ),
    RUNS,
  );
});

Deno.test("validate never throws and refuses every spec the schema refuses, naming the field, the value and what is accepted (property)", async () => {
  await fc.assert(
    fc.asyncProperty(hostileSpecArb, async (spec) => {
      const object = database(spec);
      const res = await admit("/validate", object);
      const schema = DatabaseSpecV1Schema.safeParse(spec ?? {});
      if (schema.success && res.allowed) return;
      assert.equal(res.allowed, false);
      assert.equal(res.status?.code, 422, res.status?.message ?? "");
      const causes = res.status?.details?.causes ?? [];
      assert.ok(causes.length > 0, "a denial lists its causes");
      for (const cause of causes) {
        const field = cause.field ?? "";
        assert.match(field, /^(spec|metadata)\b/);
        const message = cause.message ?? "";
        assert.ok(!message.startsWith(`${field}: `), `the path is not repeated: ${message}`);
        assert.match(message, /; accepted: \S/, message);
      }
      if (schema.success) return;
      // Every field the schema refuses is named, with the value that was sent.
      for (const issue of schema.error.issues) {
        const top = issue.path[0];
        const field = top === undefined ? "spec" : `spec.${String(top)}`;
        const cause = causes.find((c) => c.field === field || c.field?.startsWith(`${field}.`));
        assert.ok(cause, `no cause names ${field}: ${res.status?.message}`);
        if (cause.field === field && field !== "spec.config") {
          const value = top === undefined ? spec : (spec as Record<string, unknown>)[String(top)];
          assert.ok(cause.message?.startsWith(shown(value)), cause.message ?? "");
        }
      }
    }),
    RUNS,
  );
});

/** A value nested `depth` levels deep, built from text as the webhook would receive it. */
function nested(depth: number): unknown {
  return JSON.parse('{"a":'.repeat(depth) + "1" + "}".repeat(depth));
}

Deno.test("a value nested 10,000 levels deep (the apiserver's JSON limit) is passed on by mutate and refused by validate", async () => {
  for (
    const spec of [
      { resources: nested(10_000) },
      { resources: { limits: nested(10_000) } },
      { config: nested(10_000) },
      nested(10_000),
    ]
  ) {
    const mutated = await admit("/mutate", database(spec));
    assert.equal(mutated.allowed, true);
    const validated = await admit("/validate", database(spec));
    assert.equal(validated.allowed, false);
    assert.match(validated.status?.message ?? "", /accepted: /);
  }
});

const CANNOT_DEFAULT: { name: string; spec: unknown; untouched: string[] }[] = [
  { name: "a spec that is a string", spec: "x", untouched: ["/spec"] },
  { name: "a spec that is null", spec: null, untouched: ["/spec"] },
  { name: "a spec that is an array", spec: [1], untouched: ["/spec"] },
  { name: "an unknown engine", spec: { engine: "oracle" }, untouched: ["/spec/version"] },
  {
    name: "an engine named like a prototype key",
    spec: { engine: "constructor" },
    untouched: ["/spec/version"],
  },
  { name: "an engine that is a number", spec: { engine: 5 }, untouched: ["/spec/version"] },
  { name: "resources that are a string", spec: { resources: "x" }, untouched: ["/spec/resources"] },
  { name: "resources that are null", spec: { resources: null }, untouched: ["/spec/resources"] },
  {
    name: "requests that are null",
    spec: { resources: { requests: null } },
    untouched: ["/spec/resources/requests"],
  },
  {
    name: "a limit that is not a quantity",
    spec: { resources: { limits: { cpu: [1], memory: "lots" } } },
    untouched: ["/spec/resources/requests"],
  },
  {
    name: "a limit whose exponent is out of range",
    spec: { resources: { limits: { cpu: "1e2000" } }, version: "17.5" },
    untouched: ["/spec/resources/requests/cpu"],
  },
];

for (const c of CANNOT_DEFAULT) {
  Deno.test(`mutate passes ${c.name} on unchanged for validation to refuse`, async () => {
    const object = database(c.spec);
    const res = await admit("/mutate", object);
    assert.equal(res.allowed, true);
    const ops = res.patch === undefined ? [] : decodePatch(res.patch);
    const result = jsonPatch.applyPatch(structuredClone(object), ops, true, false).newDocument;
    for (const path of c.untouched) {
      assert.deepEqual(at(result, path), at(object, path), `${path} was changed`);
    }
    const refused = await admit("/validate", object);
    assert.equal(refused.allowed, false);
    assert.match(refused.status?.message ?? "", /spec.*: .*; accepted: /);
  });
}

Deno.test("a config key named like an object prototype property is refused as an unknown parameter", async () => {
  const res = await admit("/validate", database({ version: "17.5", config: { constructor: "1" } }));
  assert.equal(res.allowed, false);
  assert.match(
    res.status?.message ?? "",
    /spec\.config\.constructor: "1" is not a known postgres parameter; accepted: one of /,
  );
});
