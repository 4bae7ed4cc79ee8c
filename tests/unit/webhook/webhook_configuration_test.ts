import assert from "node:assert/strict";
import {
  buildConversionStanza,
  buildMutatingWebhookConfiguration,
  buildValidatingWebhookConfiguration,
  isSubset,
  webhookClientConfig,
  type WebhookConfigurationSpec,
} from "../../../src/webhook/mod.ts";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const spec: WebhookConfigurationSpec = {
  name: "vigil-validating",
  labels: { "app.kubernetes.io/managed-by": "vigil" },
  webhooks: [{
    name: "vdatabase.vigil.dev",
    path: "/validate-vigil-dev-v1-database",
    rules: [{
      operations: ["CREATE", "UPDATE"],
      apiGroups: ["vigil.dev"],
      apiVersions: ["v1"],
      resources: ["databases"],
    }],
    namespaceSelector: { matchExpressions: [{ key: "vigil.dev/skip", operator: "DoesNotExist" }] },
  }],
};

Deno.test("validating configuration fixes the safety settings and uses a URL client config", () => {
  const obj = buildValidatingWebhookConfiguration(spec, { mode: "url", port: 9443 }, CA);
  assert.equal(obj.kind, "ValidatingWebhookConfiguration");
  assert.deepEqual(obj.metadata?.labels, { "app.kubernetes.io/managed-by": "vigil" });
  const w = obj.webhooks?.[0];
  assert.equal(w?.failurePolicy, "Fail");
  assert.equal(w?.sideEffects, "None");
  assert.equal(w?.matchPolicy, "Equivalent");
  assert.deepEqual(w?.admissionReviewVersions, ["v1"]);
  assert.equal(w?.timeoutSeconds, 10);
  assert.equal(w?.clientConfig.url, "https://127.0.0.1:9443/validate-vigil-dev-v1-database");
  assert.equal(w?.clientConfig.service, undefined);
  assert.equal(atob(w?.clientConfig.caBundle ?? ""), CA);
  assert.deepEqual(w?.namespaceSelector, spec.webhooks[0]?.namespaceSelector);
  assert.equal("reinvocationPolicy" in (w ?? {}), false);
});

Deno.test("mutating configuration uses a Service client config and defaults reinvocation", () => {
  const obj = buildMutatingWebhookConfiguration(
    { ...spec, name: "vigil-mutating" },
    { mode: "service", namespace: "vigil-system", name: "vigil-webhook" },
    CA,
  );
  const w = obj.webhooks?.[0];
  assert.equal(obj.kind, "MutatingWebhookConfiguration");
  assert.deepEqual(w?.clientConfig.service, {
    namespace: "vigil-system",
    name: "vigil-webhook",
    path: "/validate-vigil-dev-v1-database",
    port: 443,
  });
  assert.equal(w?.reinvocationPolicy, "Never");
});

Deno.test("builders reject bad timeouts, paths, ports and misplaced reinvocation", () => {
  const hook = spec.webhooks[0]!;
  const url = { mode: "url", port: 9443 } as const;
  assert.throws(
    () =>
      buildValidatingWebhookConfiguration(
        { ...spec, webhooks: [{ ...hook, timeoutSeconds: 31 }] },
        url,
        CA,
      ),
    RangeError,
  );
  assert.throws(() => webhookClientConfig(url, "validate", CA), TypeError);
  assert.throws(() => webhookClientConfig({ mode: "url", port: 70000 }, "/v", CA), TypeError);
  assert.throws(
    () =>
      buildValidatingWebhookConfiguration(
        { ...spec, webhooks: [{ ...hook, reinvocationPolicy: "IfNeeded" }] },
        url,
        CA,
      ),
    /reinvocationPolicy/,
  );
  assert.equal(
    webhookClientConfig({ mode: "url", port: 9443, host: "::1" }, "/v", CA).url,
    "https://[::1]:9443/v",
  );
});

Deno.test("conversion stanza points the CRD at the webhook with the CA bundle", () => {
  const c = buildConversionStanza({ mode: "url", port: 9443 }, "/convert", CA);
  assert.deepEqual(c, {
    strategy: "Webhook",
    webhook: {
      clientConfig: { caBundle: btoa(CA), url: "https://127.0.0.1:9443/convert" },
      conversionReviewVersions: ["v1"],
    },
  });
});

Deno.test("isSubset ignores server defaults but sees changed values", () => {
  const desired = buildValidatingWebhookConfiguration(spec, { mode: "url", port: 9443 }, CA);
  const actual = structuredClone(desired) as unknown as {
    webhooks: Record<string, unknown>[];
    metadata: object;
  };
  actual.metadata = { ...actual.metadata, resourceVersion: "7", uid: "x" };
  actual.webhooks[0] = { ...actual.webhooks[0], objectSelector: {} };
  (actual.webhooks[0]!.rules as Record<string, unknown>[])[0]!.scope = "*";
  assert.equal(isSubset(desired, actual), true);
  const changed = structuredClone(actual);
  (changed.webhooks[0]!.clientConfig as { caBundle: string }).caBundle = "b2xk";
  assert.equal(isSubset(desired, changed), false);
  assert.equal(isSubset({ a: [1, 2] }, { a: [1, 2, 3] }), false);
  assert.equal(isSubset({ a: undefined }, {}), true);
});
