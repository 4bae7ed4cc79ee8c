/**
 * The hand-written AdmissionReview decoder against the zod schema it
 * replaced: on seeded malformed bodies both must accept the same ones and
 * return the same request, so that leaving zod on the hot path loosened
 * nothing.
 *
 * @module
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { decodeAdmissionReview, ReviewDecodeError } from "../../../src/webhook/mod.ts";
import { body, prng } from "./_fuzz_bodies.ts";
import { admissionReview } from "./_helpers.ts";

/** The schema `decodeAdmissionReview` was, before issue 14 took zod off its path. */
const objectSchema = z.record(z.string(), z.unknown());
const gvk = z.object({ group: z.string(), version: z.string(), kind: z.string() });
const gvr = z.object({ group: z.string(), version: z.string(), resource: z.string() });
const ZodReview = z.object({
  apiVersion: z.literal("admission.k8s.io/v1"),
  kind: z.literal("AdmissionReview"),
  request: z.object({
    uid: z.string().min(1),
    kind: gvk,
    resource: gvr,
    subResource: z.string().optional(),
    requestKind: gvk.optional(),
    requestResource: gvr.optional(),
    requestSubResource: z.string().optional(),
    name: z.string().optional(),
    namespace: z.string().optional(),
    operation: z.enum(["CREATE", "UPDATE", "DELETE", "CONNECT"]),
    userInfo: z.object({
      username: z.string().optional(),
      uid: z.string().optional(),
      groups: z.array(z.string()).optional(),
      extra: z.record(z.string(), z.array(z.string())).optional(),
    }),
    object: objectSchema.nullish(),
    oldObject: objectSchema.nullish(),
    dryRun: z.boolean().optional(),
    options: objectSchema.nullish(),
  }),
});

function decodeOrError(value: unknown): unknown {
  try {
    return decodeAdmissionReview(value);
  } catch (err) {
    assert.ok(err instanceof ReviewDecodeError, String(err));
    assert.doesNotMatch(err.message, /\n/);
    return undefined;
  }
}

Deno.test("decodeAdmissionReview accepts exactly what the zod schema accepted, with the same result", () => {
  const rng = prng(0xdec0de);
  let accepted = 0;
  let rejected = 0;
  for (let i = 0; i < 4_000; i++) {
    const raw = body(rng, i);
    let value: unknown;
    try {
      value = JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw));
    } catch {
      continue;
    }
    const reference = ZodReview.safeParse(value);
    const decoded = decodeOrError(value);
    if (reference.success) {
      assert.deepEqual(decoded, reference.data.request, `body #${i}: ${JSON.stringify(value)}`);
      accepted++;
    } else {
      assert.equal(decoded, undefined, `body #${i} accepted: ${JSON.stringify(value)}`);
      rejected++;
    }
  }
  // Both sides of the comparison were exercised.
  console.log(`zod vs hand-written: ${accepted} accepted, ${rejected} rejected by both`);
  assert.ok(accepted > 100 && rejected > 400, `${accepted} accepted, ${rejected} rejected`);
});

Deno.test("decodeAdmissionReview accepts a full apiserver request as the zod schema did", () => {
  const full = admissionReview("full", { spec: { replicas: 2 } });
  assert.deepEqual(decodeAdmissionReview(full), ZodReview.parse(full).request);
});
