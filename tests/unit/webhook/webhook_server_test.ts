import assert from "node:assert/strict";
import {
  type AdmissionHandler,
  allowed,
  convertEach,
  type Logger,
  patched,
  staticCertSource,
  STOP_GRACE_MS,
  WebhookServer,
} from "../../../src/webhook/mod.ts";
import { FakeClock } from "../../../src/runtime/testing.ts";
import { admissionReview, conversionReview, startTestServer } from "./_helpers.ts";

const slow: AdmissionHandler = (_req, signal) =>
  new Promise((resolve, reject) => {
    const t = setTimeout(() => resolve(allowed()), 10_000);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });

function recordingLogger() {
  const records: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    void records.push(fields === undefined ? { level, msg } : { level, msg, fields });
  const logger: Logger = {
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
  };
  return { logger, records };
}

Deno.test("webhook server answers reviews and rejects bad requests with 4xx, over TLS", async () => {
  const { logger, records } = recordingLogger();
  const t = await startTestServer({
    logger,
    handlerTimeoutMs: 200,
    maxAdmissionBodyBytes: 64 * 1024,
    maxConversionBodyBytes: 64 * 1024,
    admission: {
      "/validate": () => Promise.resolve(allowed()),
      "/mutate": (req) =>
        Promise.resolve(patched(req.object ?? {}, { ...req.object, spec: { replicas: 1 } })),
      "/slow": slow,
      "/throws": () => Promise.reject(new Error("kaboom")),
      "/sync-throws": () => {
        throw new Error("sync kaboom");
      },
      "/bad-result": () => Promise.resolve(undefined as never),
    },
    conversion: {
      "/convert": convertEach((o) => ({ ...o, apiVersion: "vigil.dev/v1" })),
    },
  });
  try {
    // A valid review gets its uid back.
    const ok = await t.post("/validate", admissionReview("uid-123"));
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("content-type"), "application/json");
    assert.deepEqual(await ok.json(), {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "uid-123", allowed: true, status: { code: 200 } },
    });
    const mutate = await (await t.post("/mutate", admissionReview("m-1"))).json();
    assert.equal(mutate.response.uid, "m-1");
    assert.equal(mutate.response.patchType, "JSONPatch");
    const conv = await (await t.post(
      "/convert",
      conversionReview("c-1", [{
        apiVersion: "vigil.dev/v1alpha1",
        kind: "Database",
        metadata: { name: "x" },
      }]),
    )).json();
    assert.equal(conv.response.uid, "c-1");
    assert.equal(conv.response.result.status, "Success");
    assert.equal(conv.response.convertedObjects[0].apiVersion, "vigil.dev/v1");

    // Malformed bodies: 400 with a one-line reason.
    for (const body of ["{", "[]", '"x"', JSON.stringify({ kind: "AdmissionReview" })]) {
      const r = await t.post("/validate", body);
      assert.equal(r.status, 400, body);
      const reason = await r.text();
      assert.match(reason, /^Cannot decode /);
      assert.equal(reason.trim().includes("\n"), false);
    }
    const wrongKind = await t.post("/validate", conversionReview("u", []));
    assert.equal(wrongKind.status, 400);
    assert.match(await wrongKind.text(), /expected apiVersion "admission.k8s.io\/v1"/);
    const badUtf8 = await t.post("/validate", new Uint8Array([0x7b, 0xff, 0x7d]));
    assert.equal(badUtf8.status, 400);
    assert.match(await badUtf8.text(), /not valid UTF-8 JSON/);

    // Size, method, content type, path.
    const big = await t.post("/validate", JSON.stringify({ pad: "x".repeat(70 * 1024) }));
    assert.equal(big.status, 413);
    await big.body?.cancel();
    const chunked = await t.post(
      "/validate",
      ReadableStream.from([new Uint8Array(40 * 1024), new Uint8Array(40 * 1024)]),
    );
    assert.equal(chunked.status, 413);
    assert.equal(chunked.headers.get("content-length") !== null, true);
    await chunked.body?.cancel();
    const get = await fetch(t.url("/validate"), { client: t.client });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    await get.body?.cancel();
    const textPlain = await t.post("/validate", "{}", {
      headers: { "content-type": "text/plain" },
    });
    assert.equal(textPlain.status, 415);
    await textPlain.body?.cancel();
    const charset = await t.post("/validate", JSON.stringify(admissionReview("cs")), {
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    assert.equal(charset.status, 200);
    await charset.body?.cancel();
    for (const path of ["/", "/nope", "/validate/", "/metrics"]) {
      const r = await t.post(path, admissionReview("u"));
      assert.equal(r.status, 404, path);
      await r.body?.cancel();
    }

    // Handler failures become well-formed errored responses.
    const started = performance.now();
    const timedOut = await (await t.post("/slow", admissionReview("slow-1"))).json();
    assert.ok(performance.now() - started < 2_000);
    assert.equal(timedOut.response.uid, "slow-1");
    assert.equal(timedOut.response.allowed, false);
    assert.equal(timedOut.response.status.code, 504);
    assert.match(timedOut.response.status.message, /deadline of 200 ms/);
    for (const path of ["/throws", "/sync-throws", "/bad-result"]) {
      const r = await (await t.post(path, admissionReview(`e${path}`))).json();
      assert.equal(r.response.uid, `e${path}`);
      assert.equal(r.response.allowed, false);
      assert.equal(r.response.status.code, 500);
    }
    assert.ok(
      records.some((r) => r.level === "error" && String(r.fields?.error).includes("kaboom")),
    );
    assert.ok(records.some((r) => r.level === "warn" && r.msg.includes("timed out")));

    // Still serving after all of that.
    assert.equal((await t.post("/validate", admissionReview("last"))).status, 200);
  } finally {
    await t.stop();
  }
});

Deno.test("webhook server lets an in-flight request finish when stopped", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  let entered!: () => void;
  const inHandler = new Promise<void>((r) => entered = r);
  const t = await startTestServer({
    admission: {
      "/hold": async () => {
        entered();
        await gate;
        return allowed();
      },
    },
  });
  const pending = t.post("/hold", admissionReview("held"));
  await inHandler;
  const stopping = t.stop();
  const timer = setTimeout(release, 50);
  const res = await pending;
  assert.equal((await res.json()).response.uid, "held");
  await stopping;
  clearTimeout(timer);
});

Deno.test("webhook server stopped before any certificate resolves and rejects listening", async () => {
  const server = new WebhookServer({
    certSource: { current: () => undefined, subscribe: () => () => {} },
    hostname: "127.0.0.1",
    port: 0,
  });
  const controller = new AbortController();
  const finished = server.start(controller.signal);
  controller.abort();
  await finished;
  await assert.rejects(server.listening, /before a certificate was loaded/);
  await assert.rejects(server.start(controller.signal), /already started/);
});

Deno.test("webhook server refuses duplicate and relative paths", () => {
  const server = new WebhookServer({ certSource: staticCertSource(undefined as never) });
  server.registerAdmission("/a", () => Promise.resolve(allowed()));
  assert.throws(
    () => server.registerAdmission("/a", () => Promise.resolve(allowed())),
    /already registered/,
  );
  assert.throws(
    () => server.registerConversion("b", () => Promise.resolve([])),
    /does not start with/,
  );
});

Deno.test("webhook server stops at once although clients hold idle and half-open connections", async () => {
  const t = await startTestServer();
  // An idle HTTP/1.1 keep-alive connection…
  assert.equal((await t.post("/validate", admissionReview("idle"))).status, 200);
  // …and a TCP connection that never starts its TLS handshake.
  const silent = await Deno.connect({ hostname: "127.0.0.1", port: t.port });
  try {
    const started = performance.now();
    await t.stop();
    assert.ok(performance.now() - started < 1_000, `stop took ${performance.now() - started} ms`);
    assert.equal(await silent.read(new Uint8Array(1)), null);
  } finally {
    silent.close();
  }
});

Deno.test("webhook server stops after the handler deadline and grace when a client never sends its body", async () => {
  const clock = new FakeClock();
  let entered!: () => void;
  const inFlight = new Promise<void>((r) => entered = r);
  const t = await startTestServer({
    handlerTimeoutMs: 200,
    clock,
    // The router counts a request once it has its headers, before it reads the body.
    metrics: { requestStarted: () => (entered(), () => {}) },
  });
  const conn = await Deno.connectTls({
    hostname: "127.0.0.1",
    port: t.port,
    caCerts: [t.bundle.caCertPem],
  });
  try {
    await conn.write(new TextEncoder().encode(
      "POST /validate HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n" +
        'content-length: 100\r\n\r\n{"apiVersion":',
    ));
    await inFlight;
    let stopped = false;
    const stopping = t.stop().then(() => stopped = true);
    await clock.advance(200 + STOP_GRACE_MS - 1);
    assert.equal(stopped, false, "stopped before the handler deadline and grace were over");
    await clock.advance(1);
    await stopping;
    assert.equal(stopped, true);
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: t.port }));
  } finally {
    conn.close();
  }
});

Deno.test("webhook server forgets a request whose client leaves mid-body, and stops at once after", async () => {
  const { logger, records } = recordingLogger();
  let entered!: () => void;
  const inFlight = new Promise<void>((r) => entered = r);
  const statuses: number[] = [];
  const t = await startTestServer({
    logger,
    metrics: {
      requestStarted: () => (entered(), (code: number) => void statuses.push(code)),
    },
  });
  const conn = await Deno.connectTls({
    hostname: "127.0.0.1",
    port: t.port,
    caCerts: [t.bundle.caCertPem],
  });
  await conn.write(new TextEncoder().encode(
    "POST /validate HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n" +
      'content-length: 1000\r\n\r\n{"apiVersion":',
  ));
  await inFlight;
  conn.close();
  // The router answers the request it lost the body of with a 400, to nobody.
  const deadline = performance.now() + 5_000;
  while (statuses.length === 0 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.deepEqual(statuses, [400]);
  assert.equal((await t.post("/validate", admissionReview("after"))).status, 200);
  const started = performance.now();
  await t.stop();
  assert.ok(performance.now() - started < 1_000, `stop took ${performance.now() - started} ms`);
  assert.deepEqual(records.filter((r) => r.level === "error"), []);
});
