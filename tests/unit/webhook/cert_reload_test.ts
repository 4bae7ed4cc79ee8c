/**
 * Certificate rotation under load: the kubelet swaps `..data` twice while
 * clients keep posting reviews over fresh and keep-alive connections.
 *
 * One failure mode is outside the server's reach: closing the old
 * `SO_REUSEPORT` listener makes Linux reset the TCP handshakes queued on it
 * (`tcp connect error: Connection reset by peer` on a fresh connection),
 * unless `net.ipv4.tcp_migrate_req=1` hands them to the new listener. With
 * that sysctl the test demands zero failures; without it, it tolerates such
 * connect-time resets (at most two per swap, reported) and nothing else.
 *
 * @module
 */
import assert from "node:assert/strict";
import { allowed, CertWatcher, WebhookServer } from "../../../src/webhook/mod.ts";
import { admissionReview, localBundle } from "./_helpers.ts";
import { createKubeletDir, rotateKubeletDir } from "./_kubelet_dir.ts";

const KEEP_ALIVE_LOOPS = 3;
const CONNECT_RESET = /tcp connect error: Connection reset by peer/;

async function migratesRequests(): Promise<boolean> {
  try {
    return (await Deno.readTextFile("/proc/sys/net/ipv4/tcp_migrate_req")).trim() === "1";
  } catch {
    return false;
  }
}
const FRESH_LOOPS = 2;

Deno.test("rotating the certificate under load fails no request and serves the new certificate", async () => {
  const dir = await Deno.makeTempDir();
  const [a, b, c] = await Promise.all([localBundle(), localBundle(), localBundle()]);
  await createKubeletDir(dir, a);
  const watcher = new CertWatcher(dir, { settleMs: 20, pollIntervalMs: 1_000 });
  await watcher.load();
  const server = new WebhookServer({ certSource: watcher, hostname: "127.0.0.1", port: 0 })
    .registerAdmission("/validate", () => Promise.resolve(allowed()));
  const controller = new AbortController();
  const running = Promise.all([watcher.start(controller.signal), server.start(controller.signal)]);
  const { port } = await server.listening;
  const url = `https://127.0.0.1:${port}/validate`;
  const allCas = [a.caCertPem, b.caCertPem, c.caCertPem];
  // HTTP/2 (what fetch and the API server's Go client negotiate) and HTTP/1.1 keep-alive.
  const keepAlive = [
    Deno.createHttpClient({ caCerts: allCas }),
    Deno.createHttpClient({ caCerts: allCas }),
    Deno.createHttpClient({ caCerts: allCas, http2: false }),
  ];
  const stats = { ok: 0, failed: 0, fresh: 0, connectResets: 0, errors: [] as string[] };
  let uid = 0;
  const post = async (client: Deno.HttpClient, fresh = false) => {
    const id = `r-${uid++}`;
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(admissionReview(id)),
        client,
      });
      const body = await res.json();
      if (res.status === 200 && body.response?.uid === id) stats.ok++;
      else throw new Error(`status ${res.status}`);
    } catch (err) {
      const message = `${err} ${(err as Error).cause ?? ""}`;
      if (fresh && CONNECT_RESET.test(message)) stats.connectResets++;
      else stats.errors.push(message);
      stats.failed++;
    }
  };
  let loading = true;
  const loops = [
    ...keepAlive.slice(0, KEEP_ALIVE_LOOPS).map(async (client) => {
      while (loading) await post(client);
    }),
    ...Array.from({ length: FRESH_LOOPS }, async () => {
      while (loading) {
        const client = Deno.createHttpClient({ caCerts: allCas });
        await post(client, true);
        stats.fresh++;
        client.close();
      }
    }),
  ];
  const waitFor = async (what: () => boolean, timeoutMs: number) => {
    const until = performance.now() + timeoutMs;
    while (!what() && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
    return what();
  };
  const swaps: number[] = [];
  try {
    await waitFor(() => stats.ok >= 300, 20_000);
    for (const next of [b, c]) {
      const t0 = performance.now();
      await rotateKubeletDir(dir, next);
      assert.ok(await waitFor(() => server.servedCertificate()?.certPem === next.certPem, 5_000));
      swaps.push(Math.round(performance.now() - t0));
      const after = stats.ok;
      await waitFor(() => stats.ok >= after + 300, 20_000);
    }
  } finally {
    loading = false;
    await Promise.all(loops);
  }
  try {
    const total = stats.ok + stats.failed;
    const migrate = await migratesRequests();
    console.log(
      `rotation: ${total} requests (${stats.fresh} on fresh connections), ${stats.failed} failed ` +
        `(${stats.connectResets} TCP connect resets), swap visible after ${
          swaps.join(" ms, ")
        } ms, ` +
        `tcp_migrate_req=${migrate ? 1 : 0}`,
    );
    assert.deepEqual(stats.errors, []);
    assert.ok(
      stats.connectResets <= (migrate ? 0 : 2 * swaps.length),
      `${stats.connectResets} resets`,
    );
    assert.ok(total >= 500, `only ${total} requests`);

    // Only the newest CA is trusted now: the server presents c's certificate…
    const onlyNew = Deno.createHttpClient({ caCerts: [c.caCertPem] });
    const onlyOld = Deno.createHttpClient({ caCerts: [a.caCertPem] });
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(admissionReview("final")),
        client: onlyNew,
      });
      assert.equal((await res.json()).response.uid, "final");
      // …and no longer a's.
      await assert.rejects(fetch(url, { method: "POST", client: onlyOld }));
    } finally {
      onlyNew.close();
      onlyOld.close();
    }
  } finally {
    for (const client of keepAlive) client.close();
    controller.abort();
    await running;
    await Deno.remove(dir, { recursive: true });
  }
});
