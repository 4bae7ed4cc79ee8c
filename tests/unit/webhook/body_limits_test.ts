/**
 * How large a review the webhook server takes (issue 10 item 11).
 *
 * An AdmissionReview carries an object and, on UPDATE, its old version,
 * each up to the apiserver's 3 MiB request limit; the apiserver's webhook
 * converter sends every item of a list it is handed in one ConversionReview
 * (Kubernetes 1.37 hands it one object at a time; see
 * `tests/cluster/webhook/large_list_conversion_test.ts`). Bodies up to the
 * documented bounds (controller-runtime's 7 MiB for admission, 128 MiB for
 * conversion) must be answered, larger ones refused with 413 naming the
 * bound, without reading past it.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  allowed,
  convertEach,
  DEFAULT_MAX_ADMISSION_BODY_BYTES,
  DEFAULT_MAX_CONVERSION_BODY_BYTES,
  WebhookRouter,
} from "../../../src/webhook/mod.ts";
import { admissionReview, conversionReview, startTestServer } from "./_helpers.ts";

const MiB = 1024 * 1024;

/** A Database-shaped object padded to about `bytes` of JSON. */
function objectOfSize(i: number, bytes: number): Record<string, unknown> {
  return {
    apiVersion: "vigil.dev/v1beta1",
    kind: "Database",
    metadata: {
      name: `db-${i}`,
      namespace: "shop",
      annotations: { note: "x".repeat(Math.max(0, bytes - 200)) },
    },
    spec: { engine: "postgres", version: "17.5", replicas: 3 },
  };
}

function post(router: WebhookRouter, path: string, body: BodyInit, length?: number) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (length !== undefined) headers["content-length"] = String(length);
  return router.handle(
    new Request(`https://vigil.test${path}`, { method: "POST", headers, body }),
  );
}

/** A body that streams `total` bytes of JSON padding without holding them (one shared chunk). */
function streamOf(total: number): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode(" ".repeat(MiB));
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(MiB, total - sent);
      controller.enqueue(n === MiB ? chunk : chunk.subarray(0, n));
      sent += n;
    },
  });
}

function router() {
  return new WebhookRouter()
    .registerAdmission("/validate", () => Promise.resolve(allowed()))
    .registerConversion("/convert", convertEach((o) => ({ ...o, apiVersion: "vigil.dev/v1" })));
}

Deno.test("the bounds are controller-runtime's 7 MiB for admission and 128 MiB for conversion", () => {
  assert.equal(DEFAULT_MAX_ADMISSION_BODY_BYTES, 7 * MiB);
  assert.equal(DEFAULT_MAX_CONVERSION_BODY_BYTES, 128 * MiB);
});

Deno.test("an AdmissionReview of an object and its old version near 3 MiB each is answered", async () => {
  const review = admissionReview("big", { spec: { pad: "x".repeat(3 * MiB) } });
  (review.request as Record<string, unknown>).oldObject = review.request.object;
  const body = JSON.stringify(review);
  assert.ok(body.length > 6 * MiB, `${body.length}`);
  const res = await post(router(), "/validate", body);
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal((await res.json()).response.allowed, true);
});

Deno.test("a ConversionReview of a 1,500-item list of 3 KiB objects is answered over TLS", async () => {
  const t = await startTestServer({
    conversion: {
      "/convert": convertEach((o) => ({ ...o, apiVersion: "vigil.dev/v1" })),
    },
  });
  try {
    const objects = Array.from({ length: 1_500 }, (_, i) => objectOfSize(i, 3 * 1024));
    const body = JSON.stringify(conversionReview("list", objects));
    assert.ok(body.length > 4 * MiB, `${body.length}`);
    const res = await t.post("/convert", body);
    assert.equal(res.status, 200, res.status === 200 ? "" : await res.text());
    const review = await res.json();
    assert.equal(review.response.result.status, "Success");
    assert.equal(review.response.convertedObjects.length, 1_500);
  } finally {
    await t.stop();
  }
});

Deno.test("a 40 MiB ConversionReview is answered", async () => {
  const objects = Array.from({ length: 40 }, (_, i) => objectOfSize(i, MiB));
  const res = await post(router(), "/convert", JSON.stringify(conversionReview("huge", objects)));
  assert.equal(res.status, 200, res.status === 200 ? "" : await res.text());
  const review = await res.json();
  assert.equal(review.response.convertedObjects.length, 40);
});

Deno.test("bodies over the bounds are refused with 413 naming the bound, by length or while streaming", async () => {
  for (
    const [path, limit] of [
      ["/validate", DEFAULT_MAX_ADMISSION_BODY_BYTES],
      ["/convert", DEFAULT_MAX_CONVERSION_BODY_BYTES],
    ] as const
  ) {
    const declared = await post(router(), path, "{}", limit + 1);
    assert.equal(declared.status, 413);
    assert.match(await declared.text(), new RegExp(`exceeds ${limit} bytes`));
    let pulled = 0;
    const counting = streamOf(limit + 16 * MiB).pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          pulled += chunk.byteLength;
          controller.enqueue(chunk);
        },
      }),
    );
    const streamed = await post(router(), path, counting);
    assert.equal(streamed.status, 413);
    assert.match(await streamed.text(), new RegExp(`exceeds ${limit} bytes`));
    // Reading stops at the bound: the rest of the stream is never pulled.
    assert.ok(pulled <= limit + 4 * MiB, `read ${pulled} bytes`);
  }
});

Deno.test("each bound can be set apart", async () => {
  const small = new WebhookRouter({ maxAdmissionBodyBytes: 1024, maxConversionBodyBytes: 4096 })
    .registerAdmission("/validate", () => Promise.resolve(allowed()))
    .registerConversion("/convert", convertEach((o) => ({ ...o, apiVersion: "vigil.dev/v1" })));
  const twoKiB = JSON.stringify(conversionReview("c", [objectOfSize(0, 2048)]));
  assert.equal((await post(small, "/convert", twoKiB)).status, 200);
  assert.equal((await post(small, "/validate", twoKiB)).status, 413);
  assert.throws(() => new WebhookRouter({ maxConversionBodyBytes: 0 }), RangeError);
});
