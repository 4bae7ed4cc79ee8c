import assert from "node:assert/strict";
import {
  ForbiddenError,
  KubeClient,
  NotFoundError,
  type RequestRecord,
} from "../../../src/kube/mod.ts";
import { CaBundleInjector, type WebhookConfigurationSpec } from "../../../src/webhook/mod.ts";
import { loopbackApiServer } from "../kube/_loopback.ts";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const SPEC: WebhookConfigurationSpec = {
  name: "vigil-mutating",
  webhooks: [{
    name: "mdatabase.vigil.dev",
    path: "/mutate",
    rules: [{
      operations: ["CREATE"],
      apiGroups: ["vigil.dev"],
      apiVersions: ["v1"],
      resources: ["databases"],
    }],
  }],
};
const ENDPOINT = { mode: "url", host: "127.0.0.1", port: 9443 } as const;
const CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/databases.vigil.dev";

interface Sent {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly contentType: string | null;
  readonly body: unknown;
}

/** An API server holding objects by path: GET, server-side apply and merge patch of them. */
async function fakeApiServer(stored: Map<string, Record<string, unknown>>, refuseWrites = false) {
  const sent: Sent[] = [];
  const api = await loopbackApiServer(async (req) => {
    const url = new URL(req.url);
    const body = req.body === null ? undefined : await req.json();
    sent.push({
      method: req.method,
      path: url.pathname,
      query: url.search,
      contentType: req.headers.get("content-type"),
      body,
    });
    const status = (code: number, reason: string) =>
      Response.json({ kind: "Status", status: "Failure", code, reason, message: reason }, {
        status: code,
      });
    const current = stored.get(url.pathname);
    if (req.method === "GET") return current ? Response.json(current) : status(404, "NotFound");
    if (refuseWrites) return status(403, "Forbidden");
    const next = req.headers.get("content-type") === "application/merge-patch+json"
      ? mergePatch(current ?? {}, body)
      : body;
    stored.set(url.pathname, next as Record<string, unknown>);
    return Response.json(next);
  });
  return { api, sent };
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === "object" && target !== null
    ? { ...(target as Record<string, unknown>) }
    : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

Deno.test("the injector sends every request through KubeClient: counted, applied once, no write when unchanged", async () => {
  const { api, sent } = await fakeApiServer(
    new Map([[CRD_PATH, {
      kind: "CustomResourceDefinition",
      spec: { conversion: { strategy: "None" } },
    }]]),
  );
  await using _ = api;
  const records: RequestRecord[] = [];
  using client = new KubeClient(api.kubeConfig(), { onRequest: (r) => records.push(r) });
  const injector = new CaBundleInjector(client);

  assert.equal(await injector.applyMutating(SPEC, ENDPOINT, CA), true);
  assert.equal(await injector.applyMutating(SPEC, ENDPOINT, CA), false);
  assert.equal(
    await injector.injectConversion("databases.vigil.dev", ENDPOINT, "/convert", CA),
    true,
  );
  assert.equal(
    await injector.injectConversion("databases.vigil.dev", ENDPOINT, "/convert", CA),
    false,
  );

  const webhookPath =
    "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/vigil-mutating";
  assert.deepEqual(sent.map((s) => `${s.method} ${s.path}`), [
    `GET ${webhookPath}`,
    `PATCH ${webhookPath}`,
    `GET ${webhookPath}`,
    `GET ${CRD_PATH}`,
    `PATCH ${CRD_PATH}`,
    `GET ${CRD_PATH}`,
  ]);
  assert.deepEqual(records.map((r) => `${r.method} ${r.code}`), [
    "GET 404",
    "PATCH 200",
    "GET 200",
    "GET 200",
    "PATCH 200",
    "GET 200",
  ]);
  const [apply, patch] = sent.filter((s) => s.method === "PATCH");
  assert.equal(apply!.contentType, "application/apply-patch+yaml");
  assert.equal(apply!.query, "?fieldManager=vigil&force=true");
  assert.equal((apply!.body as { kind: string }).kind, "MutatingWebhookConfiguration");
  assert.equal(patch!.contentType, "application/merge-patch+json");
  assert.deepEqual(
    (patch!.body as { spec: { conversion: { webhook: { clientConfig: unknown } } } }).spec
      .conversion.webhook.clientConfig,
    { caBundle: btoa(CA), url: "https://127.0.0.1:9443/convert", service: null },
  );
});

Deno.test("the injector's failures are the client's typed errors", async () => {
  const { api } = await fakeApiServer(new Map(), true);
  await using _ = api;
  using client = new KubeClient(api.kubeConfig());
  const injector = new CaBundleInjector(client);
  await assert.rejects(injector.applyValidating(SPEC, ENDPOINT, CA), ForbiddenError);
  await assert.rejects(
    injector.injectConversion("databases.vigil.dev", ENDPOINT, "/convert", CA),
    (err: unknown) =>
      err instanceof NotFoundError &&
      /CustomResourceDefinition databases.vigil.dev/.test(err.message),
  );
});
