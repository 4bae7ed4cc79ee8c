import assert from "node:assert/strict";
import {
  ForbiddenError,
  type HttpClientOptions,
  KubeClient,
  KubeConfig,
  NetworkError,
  type RequestRecord,
} from "../../../src/kube/mod.ts";
import { generateSelfSigned } from "../../../src/webhook/mod.ts";
import { kubeConfigFor, loopbackApiServer, within } from "./_loopback.ts";

/** `Deno.createHttpClient`, recording what it made and what was closed. */
function recordingHttpClients() {
  const made: { options: HttpClientOptions; closed: boolean }[] = [];
  const create = (options: HttpClientOptions): Deno.HttpClient => {
    const client = Deno.createHttpClient(options);
    const entry = { options, closed: false };
    made.push(entry);
    const close = client.close.bind(client);
    client.close = () => {
      entry.closed = true;
      close();
    };
    return client;
  };
  return { made, create };
}

Deno.test("requests of one TLS identity share one HTTP/1.1 connection; a rotated client certificate replaces the pool and closes the old one", async () => {
  const ports: number[] = [];
  await using api = await loopbackApiServer((_req, info) => {
    ports.push(info.remoteAddr.port);
    return Response.json({ kind: "Namespace" });
  });
  const dir = await Deno.makeTempDir();
  try {
    const [first, second] = await Promise.all([
      generateSelfSigned({ dnsNames: ["first"] }),
      generateSelfSigned({ dnsNames: ["second"] }),
    ]);
    await Deno.writeTextFile(`${dir}/client.crt`, first.certPem);
    await Deno.writeTextFile(`${dir}/client.key`, first.keyPem);
    let now = 0;
    const http = recordingHttpClients();
    using client = new KubeClient(
      api.kubeConfig({ certFile: `${dir}/client.crt`, keyFile: `${dir}/client.key` }),
      { now: () => now, createHttpClient: http.create },
    );

    await client.request("GET", "/api/v1/namespaces/a");
    await client.request("GET", "/api/v1/namespaces/b");
    assert.equal(http.made.length, 1);
    assert.equal(ports[0], ports[1], "the second request reuses the first one's connection");
    assert.equal(http.made[0]!.options.http2, false);
    assert.equal(http.made[0]!.options.cert, first.certPem);

    await Deno.writeTextFile(`${dir}/client.crt`, second.certPem);
    await Deno.writeTextFile(`${dir}/client.key`, second.keyPem);
    await client.request("GET", "/api/v1/namespaces/c");
    assert.equal(http.made.length, 1, "files are reread only once their refresh time has passed");

    now += 60_000;
    await client.request("GET", "/api/v1/namespaces/d");
    assert.equal(http.made.length, 2);
    assert.equal(http.made[1]!.options.cert, second.certPem);
    assert.equal(http.made[0]!.closed, true, "the replaced pool is closed");
    assert.notEqual(ports[3], ports[2], "the new identity is a new connection");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every request is reported, and a refusal is the typed error for its status", async () => {
  await using api = await loopbackApiServer((req) =>
    new URL(req.url).pathname === "/version"
      ? Response.json({ gitVersion: "v1.37.0" })
      : Response.json(
        { kind: "Status", status: "Failure", reason: "Forbidden", code: 403, message: "no" },
        { status: 403 },
      )
  );
  const records: RequestRecord[] = [];
  using client = new KubeClient(api.kubeConfig(), { onRequest: (r) => records.push(r) });
  assert.deepEqual(await client.request("GET", "/version"), { gitVersion: "v1.37.0" });
  await assert.rejects(client.request("DELETE", "/api/v1/namespaces/x"), ForbiddenError);
  assert.deepEqual(
    records.map((r) => [r.method, r.code, r.host]),
    [["GET", "200", new URL(api.url).host], ["DELETE", "403", new URL(api.url).host]],
  );
});

Deno.test("a network failure is a NetworkError naming the request", async () => {
  // Port 1 on loopback refuses at once; nothing leaves the machine.
  using client = new KubeClient(kubeConfigFor("https://127.0.0.1:1"));
  await assert.rejects(
    client.request("GET", "/version", { timeoutMs: 5000 }),
    (err: Error) => err instanceof NetworkError && /Cannot GET \/version/.test(err.message),
  );
});

Deno.test("credentials that cannot be read are a NetworkError counted as <error>, not a crash", async () => {
  const records: RequestRecord[] = [];
  using client = new KubeClient(
    kubeConfigFor("https://127.0.0.1:1", undefined, { tokenFile: "/nonexistent/token" }),
    { onRequest: (r) => records.push(r) },
  );
  await assert.rejects(
    client.request("GET", "/version"),
    (err: Error) => err instanceof NetworkError && /no credentials/.test(err.message),
  );
  assert.deepEqual(records.map((r) => r.code), ["<error>"]);
});

Deno.test("a cluster setting the client cannot honour is refused when the client is made", () => {
  const withServerName = new KubeConfig({
    clusters: [{
      name: "c",
      server: "https://10.0.0.1:6443",
      skipTLSVerify: false,
      tlsServerName: "api",
    }],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  assert.throws(() => new KubeClient(withServerName), /tls-server-name is not supported/);
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
  using client = new KubeClient(api.kubeConfig());
  try {
    const started = performance.now();
    await within(
      5_000,
      assert.rejects(
        client.request("GET", "/api/v1/pods", { timeoutMs: 300 }),
        (err: Error) =>
          err instanceof NetworkError && /Cannot GET \/api\/v1\/pods/.test(err.message) &&
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

Deno.test("a watch outlives the request deadline: its body is the caller's", async () => {
  const endOfTest = new AbortController();
  await using api = await loopbackApiServer(() =>
    new Response(
      new ReadableStream({
        start(controller) {
          const line = (type: string) =>
            new TextEncoder().encode(JSON.stringify({ type, object: {} }) + "\n");
          controller.enqueue(line("ADDED"));
          // The second event comes after the deadline has passed.
          const timer = setTimeout(() => controller.enqueue(line("MODIFIED")), 400);
          endOfTest.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            try {
              controller.close();
            } catch { /* cancelled already */ }
          });
        },
      }),
    )
  );
  using client = new KubeClient(api.kubeConfig());
  try {
    const body = await client.stream("/api/v1/pods", { query: { watch: 1 }, timeoutMs: 100 });
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("MODIFIED")) {
      const { value, done } = await within(5_000, reader.read());
      if (done) break;
      text += value;
    }
    assert.match(text, /ADDED[^]*MODIFIED/);
    await reader.cancel();
  } finally {
    endOfTest.abort();
  }
});

Deno.test("a watch asks for an uncompressed body, a list may be compressed", async () => {
  const seen: Record<string, string | null> = {};
  await using api = await loopbackApiServer((req) => {
    const watch = new URL(req.url).searchParams.has("watch");
    seen[watch ? "watch" : "list"] = req.headers.get("accept-encoding");
    return new Response(watch ? "" : "{}");
  });
  using client = new KubeClient(api.kubeConfig());
  await client.request("GET", "/api/v1/pods");
  await (await client.stream("/api/v1/pods", { query: { watch: 1 } })).cancel();
  assert.equal(seen.watch, "identity");
  assert.match(seen.list ?? "", /gzip/);
});
