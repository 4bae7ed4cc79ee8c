import assert from "node:assert/strict";
import { Registry } from "prom-client";
import {
  createWebhookMetrics,
  noopWebhookMetrics,
  WebhookRouter,
} from "../../../src/webhook/mod.ts";
import { admissionReview } from "./_helpers.ts";
import { allowed } from "../../../src/webhook/mod.ts";

Deno.test("no registry gives the no-op metrics", () => {
  assert.equal(createWebhookMetrics(), noopWebhookMetrics);
  noopWebhookMetrics.requestStarted("/x")(200);
});

Deno.test("webhook metrics use controller-runtime's names, labels and codes", async () => {
  const registry = new Registry();
  const metrics = createWebhookMetrics(registry);
  const router = new WebhookRouter({ metrics })
    .registerAdmission("/validate", () => Promise.resolve(allowed()));
  const post = (body: string) =>
    router.handle(
      new Request("https://h/validate", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      }),
    );
  assert.equal((await post(JSON.stringify(admissionReview("a")))).status, 200);
  assert.equal((await post("{")).status, 400);
  assert.equal((await router.handle(new Request("https://h/other"))).status, 404);
  const text = await registry.metrics();
  assert.match(
    text,
    /controller_runtime_webhook_requests_total\{webhook="\/validate",code="200"\} 1/,
  );
  assert.match(
    text,
    /controller_runtime_webhook_requests_total\{webhook="\/validate",code="400"\} 1/,
  );
  assert.doesNotMatch(text, /webhook="\/other"/);
  assert.match(text, /controller_runtime_webhook_requests_in_flight\{webhook="\/validate"\} 0/);
  assert.match(text, /controller_runtime_webhook_latency_seconds_count\{webhook="\/validate"\} 2/);
  assert.match(
    text,
    /controller_runtime_webhook_latency_seconds_bucket\{le="0.005",webhook="\/validate"\}/,
  );
  assert.throws(() => createWebhookMetrics(registry), /already been registered/);
});

Deno.test("in-flight gauge counts a request until it is answered", () => {
  const registry = new Registry();
  const metrics = createWebhookMetrics(registry);
  const done = metrics.requestStarted("/m");
  const gauge = () => registry.getSingleMetric("controller_runtime_webhook_requests_in_flight");
  return (async () => {
    assert.equal((await gauge()!.get()).values[0]?.value, 1);
    done(200);
    done(200);
    assert.equal((await gauge()!.get()).values[0]?.value, 0);
  })();
});
