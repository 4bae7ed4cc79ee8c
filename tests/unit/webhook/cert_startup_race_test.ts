/**
 * A certificate rotated while the webhook server is starting must be served
 * (issue 10 item 14). The server used to read the current pair, listen, and
 * only then subscribe to rotations: a rotation announced in between was
 * missed until the next one, and an expiring certificate kept being served.
 *
 * The watcher here is the real {@linkcode CertWatcher} on an injected
 * filesystem and clock, so a rotation (files change, a directory event, the
 * settle delay passes) happens at an exact point: right after the server has
 * read the certificate, or right after the first certificate it waited for.
 * Reads, events and timers are all injected, so the rotation completes within
 * promise reactions, before the listening socket is even bound.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type CertificatePair,
  type CertSource,
  CertWatcher,
  type CertWatcherClock,
  type CertWatcherFs,
  type SelfSignedBundle,
  WebhookServer,
} from "../../../src/webhook/mod.ts";
import { localBundle } from "./_helpers.ts";

const DIR = "/certs";
const SETTLE_MS = 100;

/** A directory in memory whose watchers get an event for every write. */
class MemoryFs implements CertWatcherFs {
  #files = new Map<string, string>();
  #watchers = new Set<{ push(): void; close(): void }>();

  readTextFile(path: string): Promise<string> {
    const text = this.#files.get(path);
    return text === undefined
      ? Promise.reject(new Deno.errors.NotFound(`${path} not found`))
      : Promise.resolve(text);
  }

  watch(_dir: string): AsyncIterable<unknown> & { close(): void } {
    let pending = 0;
    let closed = false;
    let wake: (() => void) | undefined;
    const watcher = {
      push: () => {
        pending++;
        wake?.();
      },
      close: () => {
        closed = true;
        this.#watchers.delete(watcher);
        wake?.();
      },
    };
    this.#watchers.add(watcher);
    return {
      close: watcher.close,
      async *[Symbol.asyncIterator]() {
        while (!closed) {
          if (pending === 0) await new Promise<void>((resolve) => wake = resolve);
          wake = undefined;
          if (pending > 0) {
            pending--;
            yield { kind: "modify", paths: [`${DIR}/tls.crt`] };
          }
        }
      },
    };
  }

  /** Whether anyone watches the directory. */
  get watched(): boolean {
    return this.#watchers.size > 0;
  }

  /** Writes the pair as cert-manager's mount would, and sends the directory event. */
  write(bundle: SelfSignedBundle): void {
    this.#files.set(`${DIR}/tls.crt`, bundle.certPem);
    this.#files.set(`${DIR}/tls.key`, bundle.keyPem);
    for (const w of this.#watchers) w.push();
  }
}

/** Timers that fire only when the test moves time. */
class ManualClock implements CertWatcherClock {
  #now = 0;
  #next = 1;
  #timers = new Map<number, { at: number; fn: () => void }>();

  setTimeout(fn: () => void, delayMs: number): number {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + delayMs, fn });
    return id;
  }

  clearTimeout(handle: number): void {
    this.#timers.delete(handle);
  }

  /** Whether a timer falls due within `ms`. */
  dueWithin(ms: number): boolean {
    return [...this.#timers.values()].some((t) => t.at <= this.#now + ms);
  }

  /** Moves time forward, firing due timers in order, synchronously. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const due = [...this.#timers.entries()].filter(([, t]) => t.at <= target)
        .sort(([a, x], [b, y]) => x.at - y.at || a - b)[0];
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].fn();
    }
    this.#now = target;
  }
}

/**
 * Rotates to `bundle` the way a mount changes: the files, the directory
 * event, then the settle delay passes. Resolves once the watcher announced
 * it; uses promise reactions only (no macrotask), so it completes before any
 * socket work of the server.
 */
async function rotate(
  fs: MemoryFs,
  clock: ManualClock,
  watcher: CertWatcher,
  bundle: SelfSignedBundle,
): Promise<void> {
  let announced = false;
  const unsubscribe = watcher.subscribe((pair) => {
    if (pair.certPem === bundle.certPem) announced = true;
  });
  try {
    fs.write(bundle);
    for (let i = 0; i < 1_000 && !clock.dueWithin(SETTLE_MS); i++) await Promise.resolve();
    clock.advance(SETTLE_MS);
    for (let i = 0; i < 1_000 && !announced; i++) await Promise.resolve();
    assert.ok(announced, "the watcher announced the rotation");
  } finally {
    unsubscribe();
  }
}

/** Waits (promise reactions only) until the watcher watches the directory. */
async function watchingDir(fs: MemoryFs): Promise<void> {
  for (let i = 0; i < 1_000 && !fs.watched; i++) await Promise.resolve();
  assert.ok(fs.watched, "the watcher watches the directory");
}

async function setUp() {
  const [a, b] = await Promise.all([localBundle(), localBundle()]);
  const fs = new MemoryFs();
  const clock = new ManualClock();
  const watcher = new CertWatcher(DIR, {
    fs,
    clock,
    settleMs: SETTLE_MS,
    pollIntervalMs: 600_000,
  });
  return { a, b, fs, clock, watcher };
}

/** Whether a TLS client trusting only `bundle`'s CA can talk to the server. */
async function trusts(port: number, bundle: SelfSignedBundle): Promise<boolean> {
  const client = Deno.createHttpClient({ caCerts: [bundle.caCertPem] });
  try {
    const res = await fetch(`https://127.0.0.1:${port}/nothing`, { client, method: "POST" });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

async function assertServes(server: WebhookServer, pair: SelfSignedBundle): Promise<void> {
  const { port } = await server.listening;
  const served: CertificatePair | undefined = server.servedCertificate();
  assert.equal(served?.certPem, pair.certPem, "the rotated certificate is served");
  assert.ok(await trusts(port, pair), "a client trusting only the new CA connects");
}

Deno.test("a certificate rotated right after the server read the current one is served", async () => {
  const { a, b, fs, clock, watcher } = await setUp();
  fs.write(a);
  const stop = new AbortController();
  const watching = watcher.start(stop.signal);
  await watcher.load();
  await watchingDir(fs);
  let rotation: Promise<void> | undefined;
  // The server's read of the current certificate is the moment the mount changes.
  const source: CertSource = {
    current() {
      const pair = watcher.current();
      rotation ??= rotate(fs, clock, watcher, b);
      return pair;
    },
    subscribe: (listener) => watcher.subscribe(listener),
  };
  const server = new WebhookServer({ certSource: source, hostname: "127.0.0.1", port: 0 });
  const serving = server.start(stop.signal);
  try {
    await rotation;
    await assertServes(server, b);
  } finally {
    stop.abort();
    await Promise.all([watching, serving]);
  }
});

Deno.test("a certificate rotated right after the first one appeared is served", async () => {
  const { a, b, fs, clock, watcher } = await setUp();
  const stop = new AbortController();
  const watching = watcher.start(stop.signal);
  await watchingDir(fs);
  const server = new WebhookServer({ certSource: watcher, hostname: "127.0.0.1", port: 0 });
  const serving = server.start(stop.signal);
  let rotation: Promise<void> | undefined;
  // Subscribed after the server, so it hears of the first pair just after the server did.
  const unsubscribe = watcher.subscribe((pair) => {
    if (pair.certPem === a.certPem) rotation ??= rotate(fs, clock, watcher, b);
  });
  try {
    await rotate(fs, clock, watcher, a);
    await rotation;
    await assertServes(server, b);
  } finally {
    unsubscribe();
    stop.abort();
    await Promise.all([watching, serving]);
  }
});

Deno.test("a certificate rotated while the watcher's own first load reads is loaded", async () => {
  const { a, b, fs, clock, watcher } = await setUp();
  fs.write(a);
  // The mount changes just after the first load has read the old certificate.
  const read = fs.readTextFile.bind(fs);
  let rotated = false;
  fs.readTextFile = async (path) => {
    const text = await read(path);
    if (!rotated && path.endsWith("tls.key")) {
      rotated = true;
      fs.write(b);
    }
    return text;
  };
  const stop = new AbortController();
  const watching = watcher.start(stop.signal);
  try {
    for (let i = 0; i < 1_000 && !rotated; i++) await Promise.resolve();
    assert.ok(rotated, "the first load read the directory");
    // Well before the 10-minute poll: only a directory event can bring b in.
    for (let i = 0; i < 1_000 && !clock.dueWithin(SETTLE_MS); i++) await Promise.resolve();
    clock.advance(SETTLE_MS);
    for (let i = 0; i < 1_000 && watcher.current()?.certPem !== b.certPem; i++) {
      await Promise.resolve();
    }
    assert.equal(watcher.current()?.certPem, b.certPem, "the rotation during the first load");
    assert.notEqual(a.certPem, b.certPem);
  } finally {
    stop.abort();
    await watching;
  }
});
