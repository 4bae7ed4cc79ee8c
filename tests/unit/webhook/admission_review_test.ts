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

Deno.test("decodeAdmissionReview rejects wrong envelopes and bad fields, naming field, accepted and received", () => {
  const cases: [unknown, RegExp][] = [
    [null, /body is not a JSON object/],
    [[1], /body is not a JSON object/],
    [
      { ...admissionReview("a"), apiVersion: "admission.k8s.io/v1beta1" },
      /got apiVersion "admission\.k8s\.io\/v1beta1".*expected apiVersion "admission\.k8s\.io\/v1"/,
    ],
    [{ ...admissionReview("a"), kind: "ConversionReview" }, /kind "ConversionReview"; expected/],
    [
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" },
      /request: must be an object, got nothing$/,
    ],
    [admissionReview(""), /request\.uid: must be a non-empty string, got ""$/],
    [withRequest({ uid: undefined }), /request\.uid: must be a non-empty string, got nothing$/],
    [withRequest({ uid: 7 }), /request\.uid: must be a non-empty string, got number 7$/],
    [
      withRequest({ operation: "PATCH" }),
      /request\.operation: must be one of "CREATE", "UPDATE", "DELETE", "CONNECT", got "PATCH"$/,
    ],
    [
      withRequest({ object: [1, 2] }),
      /request\.object: must be an object or null, got an array of 2 items$/,
    ],
    [withRequest({ oldObject: "x" }), /request\.oldObject: must be an object or null, got "x"$/],
    [
      withRequest({ options: true }),
      /request\.options: must be an object or null, got boolean true$/,
    ],
    [
      withRequest({ kind: "Database" }),
      /request\.kind: must be an object \{group, version, kind\}, got "Database"$/,
    ],
    [
      withRequest({ kind: { group: "vigil.dev", version: 1, kind: "Database" } }),
      /request\.kind\.version: must be a string, got number 1$/,
    ],
    [
      withRequest({ resource: null }),
      /request\.resource: must be an object \{group, version, resource\}, got null$/,
    ],
    [
      withRequest({ requestKind: {} }),
      /request\.requestKind\.group: must be a string, got nothing$/,
    ],
    [withRequest({ requestResource: [] }), /request\.requestResource: must be an object/],
    [withRequest({ subResource: 1 }), /request\.subResource: must be a string, got number 1$/],
    [
      withRequest({ requestSubResource: {} }),
      /request\.requestSubResource: must be a string, got an object$/,
    ],
    [withRequest({ name: null }), /request\.name: must be a string, got null$/],
    [
      withRequest({ namespace: ["a"] }),
      /request\.namespace: must be a string, got an array of 1 items$/,
    ],
    [withRequest({ dryRun: "true" }), /request\.dryRun: must be a boolean, got "true"$/],
    [withRequest({ userInfo: undefined }), /request\.userInfo: must be an object, got nothing$/],
    [withRequest({ userInfo: { username: 1 } }), /request\.userInfo\.username: must be a string/],
    [withRequest({ userInfo: { uid: false } }), /request\.userInfo\.uid: must be a string/],
    [
      withRequest({ userInfo: { groups: "a" } }),
      /request\.userInfo\.groups: must be an array of strings, got "a"$/,
    ],
    [
      withRequest({ userInfo: { groups: ["a", null] } }),
      /request\.userInfo\.groups\[1\]: must be a string, got null$/,
    ],
    [withRequest({ userInfo: { extra: [] } }), /request\.userInfo\.extra: must be an object/],
    [
      withRequest({ userInfo: { extra: { "scopes": ["a", 2] } } }),
      /request\.userInfo\.extra\.scopes\[1\]: must be a string, got number 2$/,
    ],
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

Deno.test("decodeAdmissionReview keeps hostile values out of its one-line reason", () => {
  const cases: [unknown, number][] = [
    [withRequest({ uid: "" }), 100],
    [withRequest({ operation: `${"\n".repeat(10)}${"x".repeat(100_000)}` }), 200],
    [withRequest({ userInfo: { extra: { [`a\nb${"k".repeat(10_000)}`]: [1] } } }), 400],
    [withRequest({ name: 1e308 }), 100],
  ];
  for (const [body, maxLength] of cases) {
    assert.throws(() => decodeAdmissionReview(body), (err: unknown) => {
      assert.ok(err instanceof ReviewDecodeError);
      assert.doesNotMatch(err.message, /[\n\r\u2028\u2029]/);
      assert.ok(err.message.length <= maxLength, `${err.message.length}: ${err.message}`);
      return true;
    });
  }
});

Deno.test("decodeAdmissionReview keeps the request's fields, drops unknown ones and does not copy the objects", () => {
  const body = admissionReview("u-2");
  const object = body.request.object;
  const extra = { "authentication.kubernetes.io/credential-id": ["X509SHA256=ab"] };
  const request = {
    ...body.request,
    operation: "UPDATE",
    subResource: "status",
    requestKind: { group: "vigil.dev", version: "v1beta1", kind: "Database", x: 1 },
    requestResource: { group: "vigil.dev", version: "v1beta1", resource: "databases" },
    requestSubResource: "status",
    oldObject: { spec: {} },
    options: { kind: "UpdateOptions" },
    userInfo: { username: "bob", uid: "7", groups: ["g"], extra, hacker: true },
    unknownField: { deep: 1 },
  };
  const req = decodeAdmissionReview({ ...body, request, surplus: 1 });
  assert.deepEqual(req, {
    uid: "u-2",
    kind: { group: "vigil.dev", version: "v1", kind: "Database" },
    resource: { group: "vigil.dev", version: "v1", resource: "databases" },
    subResource: "status",
    requestKind: { group: "vigil.dev", version: "v1beta1", kind: "Database" },
    requestResource: { group: "vigil.dev", version: "v1beta1", resource: "databases" },
    requestSubResource: "status",
    name: "db",
    namespace: "default",
    operation: "UPDATE",
    userInfo: { username: "bob", uid: "7", groups: ["g"], extra },
    object,
    oldObject: { spec: {} },
    dryRun: false,
    options: { kind: "UpdateOptions" },
  });
  assert.equal(req.object, object, "object is handed on, not copied");
  const minimal = decodeAdmissionReview(withRequest({
    name: undefined,
    namespace: undefined,
    object: undefined,
    oldObject: undefined,
    dryRun: undefined,
    userInfo: {},
  }));
  assert.deepEqual(Object.keys(minimal).sort(), [
    "kind",
    "operation",
    "resource",
    "uid",
    "userInfo",
  ]);
});

function withRequest(patch: Record<string, unknown>) {
  const body = admissionReview("a");
  return { ...body, request: { ...body.request, ...patch } };
}
