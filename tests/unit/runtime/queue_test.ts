import assert from "node:assert/strict";
import { DelayingQueue, Queue, RateLimitingQueue } from "../../../src/runtime/mod.ts";
import { FakeClock, flush } from "../../../src/runtime/testing.ts";
import type { GetResult, QueueMetrics } from "../../../src/runtime/mod.ts";

function item<T>(r: GetResult<T>): T {
  assert.equal(r.shutdown, false);
  return (r as { item: T }).item;
}

Deno.test("workqueue hands an item added many times before get out once", async () => {
  const q = new Queue<string>();
  q.add("a");
  q.add("b");
  q.add("a");
  q.add("a");
  assert.equal(q.len(), 2);
  assert.equal(item(await q.get()), "a");
  assert.equal(item(await q.get()), "b");
  assert.equal(q.len(), 0);
});

Deno.test("workqueue never hands one key to two workers", async () => {
  const q = new Queue<string>();
  q.add("a");
  const first = item(await q.get());
  q.add("a");
  let second: string | undefined;
  const pending = q.get().then((r) => (second = item(r)));
  await flush();
  assert.equal(second, undefined, "a re-added key must wait while it is processed");
  q.done(first);
  await pending;
  assert.equal(second, "a");
  q.done("a");
});

Deno.test("workqueue hands a key re-added while processing out again after done", async () => {
  const q = new Queue<string>();
  q.add("a");
  const a = item(await q.get());
  q.add("a");
  q.add("a");
  assert.equal(q.len(), 0);
  q.done(a);
  assert.equal(q.len(), 1);
  assert.equal(item(await q.get()), "a");
  q.done("a");
  assert.equal(q.len(), 0);
});

Deno.test("workqueue is FIFO across keys", async () => {
  const q = new Queue<number>();
  for (const n of [3, 1, 2]) q.add(n);
  const out = [item(await q.get()), item(await q.get()), item(await q.get())];
  assert.deepEqual(out, [3, 1, 2]);
});

Deno.test("workqueue shutdown ignores adds, hands out the rest, then reports shutdown", async () => {
  const q = new Queue<string>();
  q.add("a");
  q.shutdown();
  q.add("b");
  assert.equal(item(await q.get()), "a");
  assert.deepEqual(await q.get(), { shutdown: true });
});

Deno.test("workqueue shutdown wakes waiting getters", async () => {
  const q = new Queue<string>();
  const waiting = q.get();
  q.shutdown();
  assert.deepEqual(await waiting, { shutdown: true });
});

Deno.test("workqueue shutdownWithDrain waits for in-flight items", async () => {
  const q = new Queue<string>();
  q.add("a");
  const a = item(await q.get());
  let drained = false;
  const drain = q.shutdownWithDrain().then(() => (drained = true));
  await flush();
  assert.equal(drained, false);
  q.done(a);
  await drain;
  assert.equal(drained, true);
});

Deno.test("workqueue shutdownWithDrain gives up when its signal aborts", async () => {
  const q = new Queue<string>();
  q.add("a");
  await q.get();
  const ac = new AbortController();
  const drain = q.shutdownWithDrain(ac.signal);
  ac.abort();
  await drain;
});

Deno.test("workqueue reports depth, adds, latency and work duration", async () => {
  const clock = new FakeClock();
  const seen = { adds: 0, depth: -1, latency: [] as number[], work: [] as number[] };
  let unfinished: (() => { unfinishedWorkSeconds: number }) | undefined;
  const metrics: QueueMetrics = {
    add: () => seen.adds++,
    depth: (v) => (seen.depth = v),
    queueLatency: (s) => seen.latency.push(s),
    workDuration: (s) => seen.work.push(s),
    retry: () => {},
    observeUnfinished: (read) => (unfinished = read),
  };
  const q = new Queue<string>({ clock, metrics });
  q.add("a");
  q.add("a");
  assert.equal(seen.adds, 1);
  assert.equal(seen.depth, 1);
  await clock.advance(2000);
  const a = item(await q.get());
  assert.deepEqual(seen.latency, [2]);
  await clock.advance(3000);
  assert.equal(unfinished?.().unfinishedWorkSeconds, 3);
  q.done(a);
  assert.deepEqual(seen.work, [3]);
});

Deno.test("delaying queue adds an item only after its delay, in ready-time order", async () => {
  const clock = new FakeClock();
  const q = new DelayingQueue<string>({ clock });
  q.addAfter("late", 300);
  q.addAfter("early", 100);
  q.addAfter("now", 0);
  assert.equal(q.len(), 1);
  assert.equal(item(await q.get()), "now");
  await clock.advance(99);
  assert.equal(q.len(), 0);
  await clock.advance(1);
  assert.equal(q.len(), 1);
  await clock.advance(200);
  assert.equal(item(await q.get()), "early");
  assert.equal(item(await q.get()), "late");
  q.shutdown();
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("delaying queue keeps the earlier ready time of a waiting item", async () => {
  const clock = new FakeClock();
  const q = new DelayingQueue<string>({ clock });
  q.addAfter("a", 500);
  q.addAfter("a", 100);
  q.addAfter("a", 900);
  assert.equal(q.waitingLen(), 1);
  await clock.advance(100);
  assert.equal(q.len(), 1);
  await clock.advance(1000);
  assert.equal(q.len(), 1);
  q.shutdown();
});

Deno.test("delaying queue clears its timer on shutdown", () => {
  const clock = new FakeClock();
  const q = new DelayingQueue<string>({ clock });
  q.addAfter("a", 1000);
  assert.equal(clock.pendingTimers, 1);
  q.shutdown();
  assert.equal(clock.pendingTimers, 0);
  q.addAfter("b", 10);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("rate-limiting queue waits the limiter's delay and forgets on success", async () => {
  const clock = new FakeClock();
  let retries = 0;
  const q = new RateLimitingQueue<string>({
    clock,
    metrics: {
      add() {},
      depth() {},
      queueLatency() {},
      workDuration() {},
      retry: () => retries++,
      observeUnfinished() {},
    },
  });
  q.addRateLimited("a");
  q.addRateLimited("a");
  assert.equal(q.numRequeues("a"), 2);
  assert.equal(retries, 2);
  await clock.advance(5);
  assert.equal(q.len(), 1);
  q.forget("a");
  assert.equal(q.numRequeues("a"), 0);
  q.shutdown();
});
