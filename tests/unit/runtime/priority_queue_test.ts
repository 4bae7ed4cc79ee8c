import assert from "node:assert/strict";
import { LOW_PRIORITY, PriorityQueue } from "../../../src/runtime/mod.ts";
import { FakeClock, flush } from "../../../src/runtime/testing.ts";
import type { PriorityGetResult, QueueMetrics } from "../../../src/runtime/mod.ts";

function item<T>(r: PriorityGetResult<T>): T {
  assert.equal(r.shutdown, false);
  return (r as { item: T }).item;
}

async function drain(q: PriorityQueue<string>, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const got = item(await q.get());
    out.push(got);
    q.done(got);
  }
  return out;
}

Deno.test("priority queue serves higher priority first and FIFO within a priority", async () => {
  const q = new PriorityQueue<string>({ clock: new FakeClock() });
  q.addWithOptions({ priority: LOW_PRIORITY }, "low1", "low2");
  q.add("mid1");
  q.addWithOptions({ priority: 10 }, "high");
  q.add("mid2");
  assert.deepEqual(await drain(q, 5), ["high", "mid1", "mid2", "low1", "low2"]);
  q.shutdown();
});

Deno.test("priority queue serves a change made after a restart before the initial-list backlog", async () => {
  const q = new PriorityQueue<string>({ clock: new FakeClock() });
  const backlog = Array.from({ length: 2000 }, (_, i) => `obj-${i}`);
  q.addWithOptions({ priority: LOW_PRIORITY }, ...backlog);
  assert.deepEqual(await drain(q, 3), ["obj-0", "obj-1", "obj-2"]);
  q.add("obj-1500"); // the user's edit arrives as a normal-priority update
  assert.equal(item(await q.get()), "obj-1500");
  assert.equal(q.len(), 1996);
  q.shutdown();
});

Deno.test("priority queue de-duplicates and raises but never lowers a waiting item's priority", async () => {
  const q = new PriorityQueue<string>({ clock: new FakeClock() });
  q.addWithOptions({ priority: LOW_PRIORITY }, "a");
  q.add("b");
  q.addWithOptions({ priority: 5 }, "a");
  q.addWithOptions({ priority: LOW_PRIORITY }, "a");
  assert.equal(q.len(), 2);
  assert.deepEqual(await drain(q, 2), ["a", "b"]);
  q.shutdown();
});

Deno.test("priority queue never hands one key to two workers and re-serves it after done", async () => {
  const q = new PriorityQueue<string>({ clock: new FakeClock() });
  q.add("a");
  const first = item(await q.get());
  q.addWithOptions({ priority: 100 }, "a");
  q.add("b");
  assert.equal(item(await q.get()), "b", "the locked key is skipped, not blocking others");
  let again: string | undefined;
  const waiting = q.get().then((r) => (again = item(r)));
  await flush();
  assert.equal(again, undefined);
  q.done(first);
  await waiting;
  assert.equal(again, "a");
  q.shutdown();
});

Deno.test("priority queue holds delayed items until ready and keeps the earliest ready time", async () => {
  const clock = new FakeClock();
  const q = new PriorityQueue<string>({ clock });
  q.addAfter("a", 1000);
  q.addAfter("b", 200);
  q.addAfter("a", 500);
  q.addAfter("a", 5000);
  assert.equal(q.len(), 0);
  await clock.advance(200);
  assert.equal(q.len(), 1);
  await clock.advance(300);
  assert.equal(q.len(), 2);
  assert.deepEqual(await drain(q, 2), ["b", "a"]);
  await clock.advance(10_000);
  assert.equal(q.len(), 0);
  q.shutdown();
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("priority queue makes a delayed item ready at once when added without delay", async () => {
  const clock = new FakeClock();
  const q = new PriorityQueue<string>({ clock });
  q.addAfter("a", 1000);
  q.add("a");
  assert.equal(q.len(), 1);
  assert.equal(item(await q.get()), "a");
  q.shutdown();
});

Deno.test("priority queue rate-limited adds back off per item", async () => {
  const clock = new FakeClock();
  const q = new PriorityQueue<string>({ clock });
  q.addRateLimited("a");
  assert.equal(q.len(), 0);
  await clock.advance(5);
  assert.equal(item(await q.get()), "a");
  q.done("a");
  q.addRateLimited("a");
  await clock.advance(9);
  assert.equal(q.len(), 0);
  await clock.advance(1);
  assert.equal(q.len(), 1);
  assert.equal(q.numRequeues("a"), 2);
  q.forget("a");
  assert.equal(q.numRequeues("a"), 0);
  q.shutdown();
});

Deno.test("priority queue reports shutdown at once and drains in-flight work", async () => {
  const q = new PriorityQueue<string>({ clock: new FakeClock() });
  q.add("a");
  q.add("b");
  const a = item(await q.get());
  let drained = false;
  const drain = q.shutdownWithDrain().then(() => (drained = true));
  assert.deepEqual(await q.get(), { shutdown: true });
  q.add("c");
  assert.equal(q.len(), 1);
  await flush();
  assert.equal(drained, false);
  q.done(a);
  await drain;
  assert.equal(drained, true);
});

Deno.test("priority queue at one priority is FIFO across keys and hands a repeatedly added key out once", async () => {
  const q = new PriorityQueue<string>({ clock: new FakeClock() });
  for (const key of ["c", "a", "c", "b", "a"]) q.add(key);
  assert.equal(q.len(), 3);
  assert.deepEqual(await drain(q, 3), ["c", "a", "b"]);
  assert.equal(q.len(), 0);
  q.shutdown();
});

Deno.test("priority queue shutdown wakes a waiting get", async () => {
  const q = new PriorityQueue<string>({ clock: new FakeClock() });
  const waiting = q.get();
  q.shutdown();
  assert.deepEqual(await waiting, { shutdown: true });
});

Deno.test("priority queue shutdownWithDrain gives up when its signal aborts", async () => {
  const q = new PriorityQueue<string>({ clock: new FakeClock() });
  q.add("a");
  await q.get();
  const ac = new AbortController();
  let settled = false;
  const drained = q.shutdownWithDrain(ac.signal).then(() => (settled = true));
  await flush();
  assert.equal(settled, false, "an item is still in flight");
  ac.abort();
  await drained;
  assert.equal(settled, true);
});

Deno.test("priority queue clears its delay timer on shutdown and arms none after", () => {
  const clock = new FakeClock();
  const q = new PriorityQueue<string>({ clock });
  q.addAfter("a", 1000);
  assert.equal(clock.pendingTimers, 1);
  q.shutdown();
  assert.equal(clock.pendingTimers, 0);
  q.addAfter("b", 10);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("priority queue reports depth, adds, retries, latency, work duration and unfinished work", async () => {
  const clock = new FakeClock();
  const seen = { adds: 0, retries: 0, depth: -1, latency: [] as number[], work: [] as number[] };
  let unfinished: (() => { unfinishedWorkSeconds: number }) | undefined;
  const metrics: QueueMetrics = {
    add: () => seen.adds++,
    depth: (v) => (seen.depth = v),
    queueLatency: (s) => seen.latency.push(s),
    workDuration: (s) => seen.work.push(s),
    retry: () => seen.retries++,
    observeUnfinished: (read) => (unfinished = read),
  };
  const q = new PriorityQueue<string>({ clock, metrics });
  q.add("a");
  q.add("a");
  assert.equal(seen.adds, 1);
  assert.equal(seen.depth, 1);
  await clock.advance(2000);
  const a = item(await q.get());
  assert.equal(seen.depth, 0);
  assert.deepEqual(seen.latency, [2]);
  await clock.advance(3000);
  assert.equal(unfinished?.().unfinishedWorkSeconds, 3);
  q.done(a);
  assert.deepEqual(seen.work, [3]);
  q.addRateLimited("b");
  assert.equal(seen.retries, 1);
  q.shutdown();
});
