import assert from "node:assert/strict";
import type { LogFields, Logger } from "../../../src/observability/log.ts";
import {
  and,
  Controller,
  enqueueForOwner,
  generationChanged,
  ignoreStatusOnlyChanges,
  Informer,
  type KubeObject,
  labelsChanged,
  LeaderElectionLostError,
  not,
  or,
  passes,
  type SyncedCache,
  TerminalError,
} from "../../../src/runtime/mod.ts";
import { FakeClock, flush } from "../../../src/runtime/testing.ts";
import { cm, FakeClient, watchBody } from "./_fake_client.ts";

const CONFIGMAPS = { group: "", version: "v1", plural: "configmaps", namespaced: true };

function capture(lines: Array<{ msg: string; fields: LogFields }>, base: LogFields = {}): Logger {
  const make = (fields: LogFields): Logger => ({
    name: "test",
    debug: (msg, f) => lines.push({ msg, fields: { ...fields, ...f } }),
    info: (msg, f) => lines.push({ msg, fields: { ...fields, ...f } }),
    warn: (msg, f) => lines.push({ msg, fields: { ...fields, ...f } }),
    error: (msg, f) => lines.push({ msg, fields: { ...fields, ...f } }),
    child: (f) => make({ ...fields, ...f }),
  });
  return make(base);
}

function informerWith(clock: FakeClock, items: KubeObject[], events: unknown[] = []) {
  const client = new FakeClient(
    () => clock.now(),
    [() => ({ kind: "ConfigMapList", metadata: { resourceVersion: "1" }, items })],
    [(_c, s) => watchBody(events, s)],
  );
  return new Informer(client, CONFIGMAPS, { clock, streamingList: false });
}

Deno.test("controller reconciles nothing before its caches sync, then every listed key", async () => {
  const clock = new FakeClock();
  const informer = informerWith(clock, [cm("a", "1"), cm("b", "1")]);
  // A cache the controller reads but does not watch, synced by hand, so that
  // keys are queued while a cache is still unsynced.
  let extraSynced = false;
  const extraSync = Promise.withResolvers<void>();
  const extra: SyncedCache = {
    hasSynced: () => extraSynced,
    waitForSync: async (signal) => {
      await Promise.race([
        extraSync.promise,
        new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true })),
      ]);
      return extraSynced;
    },
  };
  // Observations are recorded and asserted outside: an assertion thrown
  // inside a reconcile is caught by the controller and retried, never failing the test.
  const seen: Array<{ name: string; cachesSynced: boolean }> = [];
  const controller = new Controller({
    name: "t",
    clock,
    caches: [extra],
    reconcile: (req) => {
      seen.push({ name: req.name, cachesSynced: informer.hasSynced() && extra.hasSynced() });
      return Promise.resolve({});
    },
  }).watch(informer);
  const ac = new AbortController();
  const running = controller.start(ac.signal);
  await flush();
  assert.equal(seen.length, 0, "the informer is not started yet");
  const inf = informer.start(ac.signal);
  await clock.advance(0);
  assert.equal(informer.hasSynced(), true);
  assert.equal(controller.queue.len(), 2, "both keys are queued");
  assert.equal(seen.length, 0, "nothing is reconciled while a cache has not synced");
  extraSynced = true;
  extraSync.resolve();
  await clock.advance(0);
  assert.deepEqual(seen.sort((x, y) => x.name.localeCompare(y.name)), [
    { name: "a", cachesSynced: true },
    { name: "b", cachesSynced: true },
  ]);
  ac.abort();
  await Promise.all([running, inf]);
});

Deno.test("a source's priority orders changes: creates go ahead of the other source's changes, FIFO within one priority", async () => {
  const clock = new FakeClock();
  const event = (type: string, name: string) => ({ type, object: cm(name, "2") });
  const owned = informerWith(clock, [], [event("ADDED", "echo-1"), event("ADDED", "echo-2")]);
  const primary = informerWith(clock, [cm("changed", "1")], [
    event("MODIFIED", "changed"),
    event("ADDED", "new-1"),
    event("ADDED", "new-2"),
  ]);
  // The workers wait on this cache, so that every change is queued first.
  let released = false;
  const release = Promise.withResolvers<void>();
  const gate: SyncedCache = {
    hasSynced: () => released,
    waitForSync: async () => {
      await release.promise;
      return true;
    },
  };
  const seen: string[] = [];
  const controller = new Controller({
    name: "t",
    clock,
    caches: [gate],
    reconcile: (req) => {
      seen.push(req.name);
      return Promise.resolve({});
    },
  }).watch(owned).watch(primary, { priority: (change) => change === "create" ? 1 : 0 });
  const ac = new AbortController();
  const running = controller.start(ac.signal);
  const informers = [owned.start(ac.signal), primary.start(ac.signal)];
  await clock.advance(0);
  assert.equal(controller.queue.len(), 5, "every change is queued before a worker runs");
  released = true;
  release.resolve();
  await clock.advance(0);
  // "changed" was listed (low priority), then changed: a change at 0, FIFO with the echoes.
  assert.deepEqual(seen.slice(0, 2), ["new-1", "new-2"]);
  assert.deepEqual(seen.slice(2).sort(), ["changed", "echo-1", "echo-2"]);
  ac.abort();
  await Promise.all([running, ...informers]);
});

Deno.test("controller requeues thrown errors with backoff, stops on TerminalError, keeps its worker", async () => {
  const clock = new FakeClock();
  const informer = informerWith(clock, [cm("flaky", "1"), cm("bad", "1")]);
  const calls: Record<string, number> = {};
  const lines: Array<{ msg: string; fields: LogFields }> = [];
  const controller = new Controller({
    name: "t",
    clock,
    log: capture(lines),
    reconcile: (req, ctx) => {
      calls[req.name] = (calls[req.name] ?? 0) + 1;
      ctx.log.info("working");
      if (req.name === "bad") throw new TerminalError("spec is invalid");
      if (calls[req.name]! < 3) throw new Error("transient");
      return Promise.resolve({});
    },
  }).watch(informer);
  const ac = new AbortController();
  const running = Promise.all([controller.start(ac.signal), informer.start(ac.signal)]);
  await clock.advance(0);
  assert.equal(calls.flaky, 1);
  await clock.advance(5);
  assert.equal(calls.flaky, 2);
  await clock.advance(10);
  assert.equal(calls.flaky, 3);
  await clock.advance(60_000);
  assert.equal(calls.flaky, 3);
  assert.equal(calls.bad, 1, "a terminal error is not retried");
  const working = lines.filter((l) => l.msg === "working");
  assert.ok(
    working.every((l) => typeof l.fields.reconcileId === "string" && l.fields.key !== undefined),
  );
  assert.equal(new Set(working.map((l) => l.fields.reconcileId)).size, working.length);
  ac.abort();
  await running;
});

Deno.test("controller maps owned objects to their controlling owner of the right group and kind", () => {
  const map = enqueueForOwner({ group: "vigil.dev", kind: "Thing" });
  const ref = (apiVersion: string, kind: string, controller: boolean) =>
    cm("child", "1", {
      ownerReferences: [{ apiVersion, kind, name: "parent", uid: "u", controller }],
    });
  assert.deepEqual(map(ref("vigil.dev/v1", "Thing", true)), [{ namespace: "ns", name: "parent" }]);
  assert.deepEqual(map(ref("vigil.dev/v2", "Thing", true)), [{ namespace: "ns", name: "parent" }]);
  assert.deepEqual(map(ref("other.dev/v1", "Thing", true)), []);
  assert.deepEqual(map(ref("vigil.dev/v1", "Thing", false)), []);
});

Deno.test("predicates compose and ignore status-only churn", () => {
  const base = { metadata: { name: "x", generation: 1, resourceVersion: "1", labels: { a: "1" } } };
  const statusOnly = {
    ...base,
    metadata: { ...base.metadata, resourceVersion: "2" },
    status: { ok: 1 },
  };
  const relabelled = { ...base, metadata: { ...base.metadata, labels: { a: "2" } } };
  const respec = { ...base, metadata: { ...base.metadata, generation: 2 } };
  assert.equal(passes(ignoreStatusOnlyChanges, "update", base, statusOnly), false);
  assert.equal(passes(ignoreStatusOnlyChanges, "update", base, relabelled), true);
  assert.equal(passes(generationChanged, "update", base, respec), true);
  assert.equal(passes(generationChanged, "update", base, relabelled), false);
  const either = or(generationChanged, labelsChanged);
  assert.equal(passes(either, "update", base, relabelled), true);
  assert.equal(passes(and(generationChanged, labelsChanged), "update", base, relabelled), false);
  assert.equal(passes(not(labelsChanged), "update", base, relabelled), false);
  assert.equal(passes(generationChanged, "create", base, false), true);
});

/** A controller whose reconciles run until released (or, if `onAbort`, until aborted). */
function holdingController(clock: FakeClock, options: { drainTimeoutMs?: number } = {}) {
  const inFlight: Array<{ signal: AbortSignal; release: () => void; returned: boolean }> = [];
  const controller = new Controller({
    name: "t",
    clock,
    ...options,
    reconcile: async (_req, ctx) => {
      const held = Promise.withResolvers<void>();
      const entry = { signal: ctx.signal, release: held.resolve, returned: false };
      inFlight.push(entry);
      await held.promise;
      entry.returned = true;
      return {};
    },
  });
  const ac = new AbortController();
  let stopped = false;
  const running = controller.start(ac.signal).then(() => {
    stopped = true;
  });
  return { controller, inFlight, ac, running, stopped: () => stopped };
}

Deno.test("a graceful stop lets an in-flight reconcile finish with its signal intact", async () => {
  const clock = new FakeClock();
  const c = holdingController(clock, { drainTimeoutMs: 30_000 });
  c.controller.queue.add("ns/a");
  await clock.advance(0);
  assert.equal(c.inFlight.length, 1);
  c.ac.abort();
  await clock.advance(10_000);
  assert.equal(c.inFlight[0]!.signal.aborted, false, "within the drain deadline: not aborted");
  assert.equal(c.stopped(), false);
  c.inFlight[0]!.release();
  await c.running;
  assert.equal(c.inFlight[0]!.returned, true);
});

Deno.test("controller start() resolves only after its workers have returned, even past the drain deadline", async () => {
  const clock = new FakeClock();
  const c = holdingController(clock, { drainTimeoutMs: 1_000 });
  c.controller.queue.add("ns/a");
  await clock.advance(0);
  c.ac.abort();
  await clock.advance(1_000);
  assert.equal(c.inFlight[0]!.signal.aborted, true, "aborted at the drain deadline");
  await clock.advance(60_000);
  assert.equal(c.stopped(), false, "the reconcile has not returned yet");
  c.inFlight[0]!.release();
  await c.running;
  assert.equal(c.inFlight[0]!.returned, true);
});

Deno.test("controller aborts in-flight reconciles at once when its lease is lost, then waits for them", async () => {
  const clock = new FakeClock();
  const c = holdingController(clock, { drainTimeoutMs: 30_000 });
  c.controller.queue.add("ns/a");
  c.controller.queue.add("ns/b");
  await clock.advance(0);
  const lostAt = clock.now();
  c.ac.abort(new LeaderElectionLostError("Cannot lead: the lease was lost"));
  await flush();
  assert.equal(c.inFlight[0]!.signal.aborted, true, "no drain: aborted without time passing");
  assert.ok(c.inFlight[0]!.signal.reason instanceof LeaderElectionLostError);
  assert.equal(c.stopped(), false, "the reconcile has not returned yet");
  c.inFlight[0]!.release();
  await c.running;
  assert.equal(clock.now(), lostAt, "no time passed");
  assert.equal(c.inFlight.length, 1, "the queued key is not started after the loss");
});
