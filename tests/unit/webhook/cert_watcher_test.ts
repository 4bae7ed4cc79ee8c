import assert from "node:assert/strict";
import { type CertificatePair, CertWatcher, writeCertDirectory } from "../../../src/webhook/mod.ts";
import { localBundle } from "./_helpers.ts";
import { createKubeletDir, rotateKubeletDir } from "./_kubelet_dir.ts";

function nextPair(watcher: CertWatcher, timeoutMs: number): Promise<CertificatePair | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      unsubscribe();
      resolve(undefined);
    }, timeoutMs);
    const unsubscribe = watcher.subscribe((pair) => {
      clearTimeout(timer);
      unsubscribe();
      resolve(pair);
    });
  });
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("cert watcher sees a kubelet-style atomic swap through filesystem events", () =>
  withDir(async (dir) => {
    const [a, b] = await Promise.all([localBundle(), localBundle()]);
    await createKubeletDir(dir, a);
    // A poll period far beyond the test proves the event path did the work.
    const watcher = new CertWatcher(dir, { pollIntervalMs: 600_000, settleMs: 20 });
    assert.equal(watcher.ready(), false);
    const first = await watcher.load();
    const controller = new AbortController();
    const running = watcher.start(controller.signal);
    try {
      assert.ok(watcher.ready());
      assert.equal(first?.certPem, a.certPem);
      const changed = nextPair(watcher, 5_000);
      await rotateKubeletDir(dir, b);
      assert.equal((await changed)?.certPem, b.certPem);
      assert.equal(watcher.current()?.keyPem, b.keyPem);
    } finally {
      controller.abort();
      await running;
    }
  }));

Deno.test("cert watcher keeps the current pair when the new certificate does not match the key", () =>
  withDir(async (dir) => {
    const [a, b] = await Promise.all([localBundle(), localBundle()]);
    await writeCertDirectory(dir, a);
    const warnings: string[] = [];
    const watcher = new CertWatcher(dir, {
      pollIntervalMs: 30,
      settleMs: 10,
      logger: {
        debug() {},
        info() {},
        warn: (m, f) => void warnings.push(`${m} ${f?.error}`),
        error() {},
      },
    });
    await watcher.load();
    const controller = new AbortController();
    const running = watcher.start(controller.signal);
    try {
      const changed = nextPair(watcher, 300);
      await Deno.writeTextFile(`${dir}/tls.crt`, b.certPem); // key still a's
      assert.equal(await changed, undefined);
      assert.equal(watcher.current()?.certPem, a.certPem);
      assert.equal(warnings.filter((w) => w.includes("does not match")).length, 1, "logged once");
      const fixed = nextPair(watcher, 2_000);
      await Deno.writeTextFile(`${dir}/tls.key`, b.keyPem);
      assert.equal((await fixed)?.certPem, b.certPem);
    } finally {
      controller.abort();
      await running;
    }
  }));

Deno.test("cert watcher polls a directory that appears later and becomes ready", () =>
  withDir(async (parent) => {
    const dir = `${parent}/certs`;
    const watcher = new CertWatcher(dir, { pollIntervalMs: 20, watch: true });
    const controller = new AbortController();
    const running = watcher.start(controller.signal);
    try {
      assert.equal(watcher.ready(), false);
      await assert.rejects(watcher.load(), Deno.errors.NotFound);
      const loaded = nextPair(watcher, 2_000);
      await writeCertDirectory(dir, await localBundle());
      assert.ok(await loaded);
      assert.ok(watcher.ready());
    } finally {
      controller.abort();
      await running;
    }
  }));
