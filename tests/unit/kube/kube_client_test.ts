import assert from "node:assert/strict";
import { KubeConfig, RequestContext } from "@kubernetes/client-node";
import { KubeClient } from "../../../src/kube/mod.ts";

function kubeConfig(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server, skipTLSVerify: false }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return kc;
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
