import assert from "node:assert/strict";
import { Applier, FIELD_MANAGER } from "../../../../src/controller/apply/mod.ts";
import {
  ConflictError,
  errorFromResponse,
  ForbiddenError,
  type RequestOptions,
} from "../../../../src/kube/mod.ts";
import type { KubeObject } from "../../../../src/runtime/mod.ts";
import { configMap, deepFreeze, statefulSet } from "./_objects.ts";

interface Call {
  readonly method: string;
  readonly path: string;
  readonly options: RequestOptions;
}

/** Records requests and answers each with `answer` (which may throw). */
function recordingClient(answer: (call: Call) => unknown = (call) => call.options.body) {
  const calls: Call[] = [];
  return {
    calls,
    request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
      const call = { method, path, options };
      calls.push(call);
      try {
        const body = answer(call);
        return Promise.resolve(
          (typeof body === "string" ? JSON.parse(body) : body) as T,
        );
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
}

const DATABASES = {
  group: "vigil.dev",
  version: "v1",
  plural: "databases",
  namespaced: true,
  kind: "Database",
} as const;

Deno.test("apply sends one server-side apply PATCH as vigil, with force", async () => {
  const client = recordingClient();
  const desired = deepFreeze(statefulSet("shop"));
  const written = await new Applier(client).apply(desired);
  assert.equal(client.calls.length, 1);
  const [call] = client.calls;
  assert.equal(call?.method, "PATCH");
  assert.equal(call?.path, "/apis/apps/v1/namespaces/shop/statefulsets/orders");
  assert.equal(call?.options.contentType, "application/apply-patch+yaml");
  assert.deepEqual(call?.options.query, { fieldManager: FIELD_MANAGER, force: true });
  assert.equal(FIELD_MANAGER, "vigil");
  assert.deepEqual(JSON.parse(String(call?.options.body)), desired);
  assert.deepEqual(written, desired);
});

Deno.test("apply returns the server's object", async () => {
  const stored = { ...configMap("shop"), metadata: { name: "orders-config", uid: "u1" } };
  const client = recordingClient(() => stored);
  assert.deepEqual(await new Applier(client).apply(configMap("shop")), stored);
});

Deno.test("apply uses the configured field manager and passes the signal on", async () => {
  const client = recordingClient();
  const signal = new AbortController().signal;
  await new Applier(client, { fieldManager: "vigil-test" }).apply(configMap("shop"), { signal });
  assert.equal(client.calls[0]?.options.query?.fieldManager, "vigil-test");
  assert.equal(client.calls[0]?.options.signal, signal);
});

Deno.test("apply leaves managedFields out of the body (the apiserver refuses them)", async () => {
  const client = recordingClient();
  const live = deepFreeze({
    ...configMap("shop"),
    metadata: { name: "c", namespace: "shop", managedFields: [{ manager: "x" }] },
  });
  await new Applier(client).apply(live);
  const sent = JSON.parse(String(client.calls[0]?.options.body)) as KubeObject;
  assert.equal(sent.metadata?.managedFields, undefined);
  assert.deepEqual(live.metadata?.managedFields, [{ manager: "x" }]);
});

Deno.test("apply refuses an object without name or namespace before any request", async () => {
  const client = recordingClient();
  const applier = new Applier(client);
  await assert.rejects(
    applier.apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: "n" } }),
    /^TypeError: Cannot apply ConfigMap n\/: metadata.name is missing$/,
  );
  await assert.rejects(
    applier.apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } }),
    /metadata.namespace is missing/,
  );
  assert.throws(() => applier.apply({ apiVersion: "apps/v1", kind: "Deployment" }), RangeError);
  assert.equal(client.calls.length, 0);
});

Deno.test("apply of a kind Vigil does not own works with an explicit resource", async () => {
  const client = recordingClient();
  const db = {
    apiVersion: "vigil.dev/v1",
    kind: "Database",
    metadata: { name: "d", namespace: "n" },
  };
  await new Applier(client).apply(db, { resource: DATABASES });
  assert.equal(client.calls[0]?.path, "/apis/vigil.dev/v1/namespaces/n/databases/d");
});

Deno.test("apply passes API errors through typed", async () => {
  const client = recordingClient(() => {
    throw errorFromResponse(403, { reason: "Forbidden" }, { method: "PATCH", path: "/x" });
  });
  await assert.rejects(new Applier(client).apply(configMap("shop")), ForbiddenError);
});

Deno.test("applyStatus applies to the status subresource with the same field manager", async () => {
  const client = recordingClient();
  await new Applier(client).applyStatus(DATABASES, {
    metadata: { name: "orders", namespace: "shop" },
    status: { phase: "Running" },
  });
  const [call] = client.calls;
  assert.equal(call?.method, "PATCH");
  assert.equal(call?.path, "/apis/vigil.dev/v1/namespaces/shop/databases/orders/status");
  assert.equal(call?.options.contentType, "application/apply-patch+yaml");
  assert.deepEqual(call?.options.query, { fieldManager: "vigil", force: true });
  assert.deepEqual(JSON.parse(String(call?.options.body)), {
    apiVersion: "vigil.dev/v1",
    kind: "Database",
    metadata: { name: "orders", namespace: "shop" },
    status: { phase: "Running" },
  });
});

Deno.test("delete sends DeleteOptions with Background propagation and the uid precondition", async () => {
  const client = recordingClient(() => ({ kind: "Status", status: "Success" }));
  await new Applier(client).delete({
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    namespace: "shop",
    name: "orders",
    uid: "u-1",
  });
  const [call] = client.calls;
  assert.equal(call?.method, "DELETE");
  assert.equal(call?.path, "/apis/policy/v1/namespaces/shop/poddisruptionbudgets/orders");
  assert.deepEqual(call?.options.body, {
    apiVersion: "v1",
    kind: "DeleteOptions",
    propagationPolicy: "Background",
    preconditions: { uid: "u-1" },
  });
});

Deno.test("delete without a uid sends no precondition, and honours the propagation policy", async () => {
  const client = recordingClient(() => ({}));
  await new Applier(client).delete(
    { apiVersion: "apps/v1", kind: "StatefulSet", namespace: "shop", name: "orders" },
    { propagationPolicy: "Orphan" },
  );
  assert.deepEqual(client.calls[0]?.options.body, {
    apiVersion: "v1",
    kind: "DeleteOptions",
    propagationPolicy: "Orphan",
  });
});

Deno.test("delete of an object that is already gone succeeds", async () => {
  const client = recordingClient(() => {
    throw errorFromResponse(404, { reason: "NotFound" }, { method: "DELETE", path: "/x" });
  });
  await new Applier(client).delete({ apiVersion: "v1", kind: "Secret", namespace: "n", name: "s" });
});

Deno.test("delete whose uid precondition fails succeeds: the object it named is gone", async () => {
  const client = recordingClient(() => {
    throw errorFromResponse(409, {
      reason: "Conflict",
      message: "Precondition failed: UID in precondition: u-1, UID in object meta: u-2",
    }, { method: "DELETE", path: "/x" });
  });
  await new Applier(client).delete({
    apiVersion: "v1",
    kind: "Secret",
    namespace: "n",
    name: "s",
    uid: "u-1",
  });
});

Deno.test("delete without a uid passes a conflict through", async () => {
  const client = recordingClient(() => {
    throw errorFromResponse(409, { reason: "Conflict" }, { method: "DELETE", path: "/x" });
  });
  await assert.rejects(
    new Applier(client).delete({ apiVersion: "v1", kind: "Secret", namespace: "n", name: "s" }),
    ConflictError,
  );
});
