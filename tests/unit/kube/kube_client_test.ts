import assert from "node:assert/strict";
import { KubeConfig, RequestContext } from "@kubernetes/client-node";
import { KubeClient } from "../../../src/kube/mod.ts";
import { generateSelfSigned } from "../../../src/webhook/mod.ts";

function kubeConfig(server: string, caPem?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{
      name: "c",
      server,
      skipTLSVerify: false,
      ...(caPem === undefined ? {} : { caData: btoa(caPem) }),
    }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return kc;
}

/** An HTTPS server on loopback answering with `handler`, and a client trusting it. */
async function loopbackApiServer(
  handler: (req: Request) => Response | Promise<Response>,
): Promise<{ client: KubeClient; close(): Promise<void> } & AsyncDisposable> {
  const tls = await generateSelfSigned({ ipAddresses: ["127.0.0.1"] });
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: tls.certPem,
    key: tls.keyPem,
    onListen: () => {},
  }, handler);
  const client = new KubeClient(
    kubeConfig(`https://127.0.0.1:${server.addr.port}`, tls.caCertPem),
  );
  const close = async () => {
    (client as { close?: () => void }).close?.();
    await server.shutdown();
  };
  return { client, close, [Symbol.asyncDispose]: close };
}

/** Rejects when `promise` is still pending after `ms` (a failing test must not hang the run). */
async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("every request of a client shares one pooled dispatcher instead of a new connection each", async () => {
  const kc = kubeConfig("https://127.0.0.1:6443");
  new KubeClient(kc);
  const a = new RequestContext("https://127.0.0.1:6443/api", "GET" as never);
  const b = new RequestContext("https://127.0.0.1:6443/apis", "GET" as never);
  await kc.applySecurityAuthentication(a);
  await kc.applySecurityAuthentication(b);
  assert.ok(a.getDispatcher() !== undefined);
  assert.equal(a.getDispatcher(), b.getDispatcher());
  assert.equal(a.getHeaders()["Authorization"] ?? a.getHeaders()["authorization"], "Bearer t");
});

Deno.test("a network failure is a NetworkError naming the request", async () => {
  // Port 1 on loopback refuses at once; nothing leaves the machine.
  const client = new KubeClient(kubeConfig("https://127.0.0.1:1"));
  await assert.rejects(
    client.request("GET", "/version", { timeoutMs: 5000 }),
    (err: Error) => err.name === "NetworkError" && /Cannot GET \/version/.test(err.message),
  );
});

Deno.test("a list whose body stalls after the headers rejects with a timeout within its deadline", async () => {
  // The server sends the headers and half a list, then nothing until the client gives up.
  const cancelled = Promise.withResolvers<void>();
  const endOfTest = new AbortController();
  await using api = await loopbackApiServer(() =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"kind":"PodList","items":[{"metadata":'));
          // Only so that a failing run can shut the server down.
          endOfTest.signal.addEventListener("abort", () => {
            try {
              controller.close();
            } catch { /* cancelled already */ }
          });
        },
        cancel() {
          cancelled.resolve();
        },
      }),
      { headers: { "content-type": "application/json" } },
    )
  );
  try {
    const started = performance.now();
    await within(
      5_000,
      assert.rejects(
        api.client.request("GET", "/api/v1/pods", { timeoutMs: 300 }),
        (err: Error) =>
          err.name === "NetworkError" && /Cannot GET \/api\/v1\/pods/.test(err.message) &&
          /timed out after 300 ms/.test(err.message),
      ),
    );
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs >= 300 && elapsedMs < 2_000, `rejected after ${elapsedMs.toFixed(0)} ms`);
    await within(5_000, cancelled.promise); // the connection was given up, not left open
  } finally {
    endOfTest.abort();
  }
});
