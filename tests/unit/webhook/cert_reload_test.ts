/**
 * Certificate rotation under load: the kubelet swaps `..data` twice while
 * clients keep posting reviews over keep-alive and fresh connections.
 *
 * The server swaps the certificate in place, so nothing may fail: no reset,
 * no refused connection, no error status. A keep-alive client that trusts
 * only the first CA must keep working across both rotations, which proves
 * the server never closes an established connection (a new one would fail
 * that client's verification); a client trusting only the newest CA must
 * work afterwards, and one trusting only the first must not.
 *
 * @module
 */
import assert from "node:assert/strict";
import { allowed, CertWatcher, WebhookServer } from "../../../src/webhook/mod.ts";
import { admissionReview, localBundle } from "./_helpers.ts";
import { createKubeletDir, rotateKubeletDir } from "./_kubelet_dir.ts";

const KEEP_ALIVE_LOOPS = 3;
const FRESH_LOOPS = 2;
const MIN_REQUESTS_PER_PHASE = 300;

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
  const keepAlive = [
    // Its connection is made with a's certificate; it must survive both rotations.
    Deno.createHttpClient({ caCerts: [a.caCertPem] }),
    ...Array.from(
      { length: KEEP_ALIVE_LOOPS - 1 },
      () => Deno.createHttpClient({ caCerts: allCas }),
    ),
  ];
  const stats = { ok: 0, keepAlive: 0, fresh: 0, errors: [] as string[] };
  let uid = 0;
  const post = async (client: Deno.HttpClient): Promise<boolean> => {
    const id = `r-${uid++}`;
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(admissionReview(id)),
        client,
      });
      const body = await res.json();
      if (res.status !== 200 || body.response?.uid !== id) throw new Error(`status ${res.status}`);
      stats.ok++;
      return true;
    } catch (err) {
      stats.errors.push(`${err} ${(err as Error).cause ?? ""}`);
      return false;
    }
  };
  let loading = true;
  const loops = [
    ...keepAlive.map(async (client) => {
      while (loading) if (await post(client)) stats.keepAlive++;
    }),
    ...Array.from({ length: FRESH_LOOPS }, async () => {
      while (loading) {
        const client = Deno.createHttpClient({ caCerts: allCas });
        try {
          if (await post(client)) stats.fresh++;
        } finally {
          client.close();
        }
      }
    }),
  ];
  const waitFor = async (what: () => boolean, timeoutMs: number) => {
    const until = performance.now() + timeoutMs;
    while (!what() && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
    return what();
  };
  const swaps: number[] = [];
  const phaseDone = () => {
    const [ok, kept, fresh] = [stats.ok, stats.keepAlive, stats.fresh];
    return () =>
      stats.ok >= ok + MIN_REQUESTS_PER_PHASE && stats.keepAlive > kept + KEEP_ALIVE_LOOPS &&
      stats.fresh > fresh + FRESH_LOOPS;
  };
  try {
    assert.ok(await waitFor(phaseDone(), 20_000), "no load before the first rotation");
    for (const next of [b, c]) {
      const t0 = performance.now();
      await rotateKubeletDir(dir, next);
      assert.ok(await waitFor(() => server.servedCertificate()?.certPem === next.certPem, 5_000));
      swaps.push(Math.round(performance.now() - t0));
      assert.ok(await waitFor(phaseDone(), 20_000), "no load after a rotation");
    }
  } finally {
    loading = false;
    await Promise.all(loops);
  }
  try {
    const total = stats.ok + stats.errors.length;
    console.log(
      `rotation: ${total} requests (${stats.keepAlive} keep-alive, ${stats.fresh} on fresh ` +
        `connections), ${stats.errors.length} failed, new certificate served ` +
        `${swaps.join(" ms, ")} ms after the swap`,
    );
    assert.deepEqual(stats.errors, []);
    assert.ok(total >= 500, `only ${total} requests`);
    assert.equal(swaps.length, 2);

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
      assert.equal(res.status, 200);
      assert.equal((await res.json()).response.uid, "final");
      // …and no longer a's to new connections.
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
