import assert from "node:assert/strict";
import jsonPatch, { type Operation } from "fast-json-patch";
import {
  allowed,
  decodeAdmissionReview,
  denied,
  errored,
  patched,
  review,
  ReviewDecodeError,
} from "../../../src/webhook/mod.ts";
import { admissionReview } from "./_helpers.ts";

function decodePatch(patch: string): Operation[] {
  const bytes = Uint8Array.from(atob(patch), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

Deno.test("allowed admits with code 200 and carries warnings only when given", () => {
  assert.deepEqual(allowed(), { allowed: true, status: { code: 200 } });
  assert.deepEqual(allowed(["spec.image is deprecated"]).warnings, ["spec.image is deprecated"]);
  assert.equal("warnings" in allowed([]), false);
});

Deno.test("denied carries code, derived reason, message and causes", () => {
  const message = 'spec.engine: Unsupported value: "oracle": supported values: "postgres", "mysql"';
  const r = denied(422, message, {
    causes: [{ field: "spec.engine", reason: "FieldValueNotSupported", message }],
    warnings: ["w"],
  });
  assert.deepEqual(r, {
    allowed: false,
    status: {
      status: "Failure",
      code: 422,
      reason: "Invalid",
      message,
      details: { causes: [{ field: "spec.engine", reason: "FieldValueNotSupported", message }] },
    },
    warnings: ["w"],
  });
  assert.equal(denied(403, "no").status?.reason, "Forbidden");
  assert.equal(denied(418, "teapot").status?.reason, undefined);
  assert.equal(denied(400, "x", { reason: "Custom" }).status?.reason, "Custom");
  assert.equal(denied(400, "x", { causes: [] }).status?.details, undefined);
});

Deno.test("patched emits a base64 RFC 6902 patch that turns the original into the mutated object", () => {
  const original = {
    metadata: { name: "db", labels: { "a/b~c": "1" } },
    spec: { replicas: 1, list: [1, 2, 3], gone: true, note: "héllo ✓" },
  };
  const mutated = {
    metadata: { name: "db", labels: { "a/b~c": "2", added: "x" } },
    spec: { replicas: 3, list: [1, 3], version: "16.4", note: "日本語 ✓", drop: undefined },
  };
  const r = patched(original, mutated, ["defaulted spec.version"]);
  assert.equal(r.allowed, true);
  assert.equal(r.patchType, "JSONPatch");
  assert.match(r.patch ?? "", /^[A-Za-z0-9+/]+={0,2}$/);
  assert.deepEqual(r.warnings, ["defaulted spec.version"]);
  const ops = decodePatch(r.patch ?? "");
  const applied = jsonPatch.applyPatch(structuredClone(original), ops, true, false).newDocument;
  assert.deepEqual(applied, JSON.parse(JSON.stringify(mutated)));
});

Deno.test("patched without changes carries no patch", () => {
  const obj = { spec: { a: 1 } };
  const r = patched(obj, structuredClone(obj));
  assert.deepEqual(r, { allowed: true, status: { code: 200 } });
});

Deno.test("errored denies with the error message on one line", () => {
  const r = errored(500, new Error("boom\nsecond line"));
  assert.deepEqual(r, {
    allowed: false,
    status: { status: "Failure", code: 500, reason: "InternalError", message: "boom second line" },
  });
  assert.equal(errored(504, "late").status?.reason, "Timeout");
});

Deno.test("review wraps a response with the request uid", () => {
  assert.deepEqual(review("u-1", allowed()), {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    response: { uid: "u-1", allowed: true, status: { code: 200 } },
  });
});

Deno.test("decodeAdmissionReview returns the request of a valid review", () => {
  const req = decodeAdmissionReview(admissionReview("abc"));
  assert.equal(req.uid, "abc");
  assert.equal(req.operation, "CREATE");
  assert.equal(req.oldObject, null);
  assert.equal(req.userInfo.username, "alice");
});

Deno.test("decodeAdmissionReview rejects wrong envelopes and schema violations with one-line reasons", () => {
  const cases: [unknown, RegExp][] = [
    [null, /body is not a JSON object/],
    [[1], /body is not a JSON object/],
    [
      { ...admissionReview("a"), apiVersion: "admission.k8s.io/v1beta1" },
      /expected apiVersion "admission\.k8s\.io\/v1"/,
    ],
    [{ ...admissionReview("a"), kind: "ConversionReview" }, /kind "ConversionReview"; expected/],
    [{ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }, /request: /],
    [admissionReview(""), /request\.uid: must be a non-empty string/],
    [withRequest({ uid: undefined }), /request\.uid/],
    [withRequest({ operation: "PATCH" }), /request\.operation/],
    [withRequest({ object: [1, 2] }), /request\.object/],
    [withRequest({ kind: "Database" }), /request\.kind/],
  ];
  for (const [body, pattern] of cases) {
    assert.throws(() => decodeAdmissionReview(body), (err: unknown) => {
      assert.ok(err instanceof ReviewDecodeError);
      assert.match(err.message, /^Cannot decode AdmissionReview: /);
      assert.match(err.message, pattern);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  }
});

function withRequest(patch: Record<string, unknown>) {
  const body = admissionReview("a");
  return { ...body, request: { ...body.request, ...patch } };
}
