import assert from "node:assert/strict";
import {
  answerConversion,
  type ConversionHandler,
  convertEach,
  decodeConversionReview,
  type KubeObject,
  ReviewDecodeError,
} from "../../../src/webhook/mod.ts";
import { conversionReview } from "./_helpers.ts";

const signal = new AbortController().signal;
const alpha = (name: string, size = "3"): KubeObject => ({
  apiVersion: "vigil.dev/v1alpha1",
  kind: "Database",
  metadata: { name, namespace: "prod", uid: `uid-${name}` },
  spec: { size },
});
const toV1 = convertEach((obj) => {
  const spec = obj.spec as { size: string };
  const replicas = Number(spec.size);
  if (!Number.isInteger(replicas)) throw new Error(`spec.size: "${spec.size}" is not a number`);
  return { ...obj, apiVersion: "vigil.dev/v1", spec: { replicas } };
});

Deno.test("decodeConversionReview keeps every field of the objects", () => {
  const req = decodeConversionReview(conversionReview("u", [{ ...alpha("a"), extra: { x: 1 } }]));
  assert.equal(req.uid, "u");
  assert.equal(req.desiredAPIVersion, "vigil.dev/v1");
  assert.deepEqual(req.objects[0]?.extra, { x: 1 });
});

Deno.test("decodeConversionReview rejects wrong envelopes and missing fields", () => {
  const cases: [unknown, RegExp][] = [
    [
      { ...conversionReview("u", []), apiVersion: "apiextensions.k8s.io/v1beta1" },
      /expected apiVersion/,
    ],
    [
      { ...conversionReview("u", []), kind: "AdmissionReview" },
      /expected apiVersion .* kind "ConversionReview"/,
    ],
    [conversionReview("", []), /request\.uid/],
    [
      { ...conversionReview("u", []), request: { uid: "u", objects: [] } },
      /request\.desiredAPIVersion/,
    ],
    [conversionReview("u", [{ kind: "Database" }]), /request\.objects\.0\.apiVersion/],
    [
      { ...conversionReview("u", []), request: { uid: "u", desiredAPIVersion: "v", objects: {} } },
      /request\.objects/,
    ],
  ];
  for (const [body, pattern] of cases) {
    assert.throws(() => decodeConversionReview(body), (err: unknown) => {
      assert.ok(err instanceof ReviewDecodeError);
      assert.match(err.message, /^Cannot decode ConversionReview: /);
      assert.match(err.message, pattern);
      return true;
    });
  }
});

Deno.test("answerConversion returns Success with the converted objects in order", async () => {
  const req = decodeConversionReview(conversionReview("u1", [alpha("a", "1"), alpha("b", "2")]));
  const res = await answerConversion(req, toV1, signal);
  assert.equal(res.apiVersion, "apiextensions.k8s.io/v1");
  assert.equal(res.kind, "ConversionReview");
  assert.equal(res.response.uid, "u1");
  assert.deepEqual(res.response.result, { status: "Success" });
  assert.deepEqual(res.response.convertedObjects.map((o) => o.spec), [{ replicas: 1 }, {
    replicas: 2,
  }]);
});

Deno.test("convertEach passes objects already at the desired version through", async () => {
  const v1 = { apiVersion: "vigil.dev/v1", kind: "Database", metadata: { name: "c" }, spec: {} };
  const out = await toV1([v1], "vigil.dev/v1", signal);
  assert.equal(out[0], v1);
});

Deno.test("one failing object fails the review with a message naming it", async () => {
  const req = decodeConversionReview(conversionReview("u2", [alpha("a"), alpha("broken", "many")]));
  const res = await answerConversion(req, toV1, signal);
  assert.deepEqual(res.response.convertedObjects, []);
  assert.deepEqual(res.response.result, {
    status: "Failure",
    message:
      'Cannot convert Database prod/broken (vigil.dev/v1alpha1) to vigil.dev/v1: spec.size: "many" is not a number',
  });
});

Deno.test("answerConversion fails results of the wrong length or version", async () => {
  const req = decodeConversionReview(conversionReview("u3", [alpha("a")]));
  const empty: ConversionHandler = () => Promise.resolve([]);
  const same: ConversionHandler = (objects) => Promise.resolve([...objects]);
  const r1 = await answerConversion(req, empty, signal);
  assert.equal(r1.response.result.status, "Failure");
  assert.match(JSON.stringify(r1.response.result), /returned 0 objects for 1/);
  const r2 = await answerConversion(req, same, signal);
  assert.match(
    JSON.stringify(r2.response.result),
    /Database prod\/a .*expected \\"vigil.dev\/v1\\"/,
  );
});
