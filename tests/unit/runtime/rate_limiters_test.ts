import assert from "node:assert/strict";
import {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ItemExponentialFailureRateLimiter,
  maxOf,
} from "../../../src/runtime/mod.ts";
import { FakeClock } from "../../../src/runtime/testing.ts";
import type { RateLimiter } from "../../../src/runtime/mod.ts";

Deno.test("exponential limiter doubles from 5 ms per item and caps at 1000 s", () => {
  const l = new ItemExponentialFailureRateLimiter<string>();
  assert.deepEqual([l.when("a"), l.when("a"), l.when("a"), l.when("a")], [5, 10, 20, 40]);
  assert.equal(l.when("b"), 5, "items are tracked separately");
  for (let i = 0; i < 40; i++) l.when("a");
  assert.equal(l.when("a"), 1_000_000);
  assert.equal(l.numRequeues("a"), 45);
  l.forget("a");
  assert.equal(l.numRequeues("a"), 0);
  assert.equal(l.when("a"), 5);
});

Deno.test("exponential limiter never overflows to Infinity", () => {
  const l = new ItemExponentialFailureRateLimiter<string>({ baseDelayMs: 1, maxDelayMs: 10 });
  for (let i = 0; i < 2000; i++) l.when("a");
  assert.equal(l.when("a"), 10);
});

Deno.test("bucket limiter allows a burst of 100 then 10 per second", async () => {
  const clock = new FakeClock();
  const l = new BucketRateLimiter<string>({ clock });
  for (let i = 0; i < 100; i++) assert.equal(l.when(`k${i}`), 0);
  assert.equal(l.when("x"), 100);
  assert.equal(l.when("y"), 200);
  await clock.advance(1000);
  // 10 tokens refilled; 2 were already owed.
  for (let i = 0; i < 8; i++) assert.equal(l.when(`z${i}`), 0);
  assert.equal(l.when("w"), 100);
  assert.equal(l.numRequeues("w"), 0);
});

Deno.test("bucket limiter never refills past its burst", async () => {
  const clock = new FakeClock();
  const l = new BucketRateLimiter<string>({ clock, qps: 1, burst: 2 });
  await clock.advance(1_000_000);
  assert.equal(l.when("a"), 0);
  assert.equal(l.when("a"), 0);
  assert.equal(l.when("a"), 1000);
});

Deno.test("maxOf waits the longest delay and forgets in every limiter", () => {
  const calls: string[] = [];
  const fixed = (ms: number, requeues: number): RateLimiter<string> => ({
    when: () => ms,
    numRequeues: () => requeues,
    forget: (item) => calls.push(`${ms}:${item}`),
  });
  const l = maxOf(fixed(5, 1), fixed(50, 3), fixed(20, 2));
  assert.equal(l.when("a"), 50);
  assert.equal(l.numRequeues("a"), 3);
  l.forget("a");
  assert.deepEqual(calls, ["5:a", "50:a", "20:a"]);
});

Deno.test("default controller limiter is per-item exponential under an overall bucket", () => {
  const clock = new FakeClock();
  const l = defaultControllerRateLimiter<string>(clock);
  assert.equal(l.when("a"), 5);
  assert.equal(l.when("a"), 10);
  for (let i = 0; i < 98; i++) l.when(`k${i}`);
  assert.equal(l.when("b"), 100, "bucket exhausted: 10 qps dominates 5 ms");
});
