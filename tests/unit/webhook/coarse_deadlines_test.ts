import assert from "node:assert/strict";
import { allowed, type Timers, WebhookRouter } from "../../../src/webhook/mod.ts";
import { CoarseDeadlines } from "../../../src/webhook/coarse_deadlines.ts";
import { FakeClock } from "../../../src/runtime/testing.ts";
import { admissionReview } from "./_helpers.ts";

Deno.test("a coarse deadline expires no sooner than its timeout and less than two ticks after", async () => {
  for (const timeoutMs of [8_000, 200, 10, 1]) {
    const clock = new FakeClock(0);
    const deadlines = new CoarseDeadlines(timeoutMs, clock);
    const tick = deadlines.tickMs;
    assert.ok(tick >= 1 && tick <= 250 && tick <= Math.max(1, timeoutMs / 32), `tick ${tick}`);
    const expired = new Map<number, number>();
    // Added at tick boundaries, just after and just before them, while the tick runs or not.
    const offsets = [0, 1, tick - 1, tick, tick + 1, 3 * tick + 1, timeoutMs + 7];
    for (const at of [...new Set(offsets)].filter((at) => at >= 0).sort((a, b) => a - b)) {
      await clock.advance(at - clock.now());
      deadlines.add(() => expired.set(at, clock.now()));
    }
    await clock.advance(3 * timeoutMs + 1_000);
    assert.equal(expired.size, new Set(offsets).size);
    for (const [at, when] of expired) {
      const late = when - at - timeoutMs;
      assert.ok(
        late >= 0 && late < 2 * tick,
        `timeout ${timeoutMs}, added at ${at}: ${late} ms late`,
      );
    }
    assert.equal(deadlines.size, 0);
    assert.equal(clock.pendingTimers, 0, "the tick stops with no deadline pending");
  }
});

Deno.test("a cancelled coarse deadline never expires, and the tick stops with the last one", async () => {
  const clock = new FakeClock(0);
  const deadlines = new CoarseDeadlines(1_000, clock);
  const fired: string[] = [];
  const a = deadlines.add(() => fired.push("a"));
  deadlines.add(() => fired.push("b"));
  assert.equal(clock.pendingTimers, 1, "one timer for any number of deadlines");
  await clock.advance(500);
  deadlines.cancel(a);
  deadlines.cancel(a);
  await clock.advance(2_000);
  assert.deepEqual(fired, ["b"]);
  const c = deadlines.add(() => fired.push("c"));
  assert.equal(clock.pendingTimers, 1);
  deadlines.cancel(c);
  assert.equal(clock.pendingTimers, 0);
  await clock.advance(5_000);
  assert.deepEqual(fired, ["b"]);
});

Deno.test("a coarse deadline that expires may add the next one", async () => {
  const clock = new FakeClock(0);
  const deadlines = new CoarseDeadlines(100, clock);
  const fired: number[] = [];
  deadlines.add(() => {
    fired.push(clock.now());
    deadlines.add(() => fired.push(clock.now()));
  });
  await clock.advance(1_000);
  assert.equal(fired.length, 2);
  assert.ok(fired[1]! - fired[0]! >= 100);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("coarse deadlines refuse a timeout that is not above 0", () => {
  const timers: Timers = new FakeClock();
  for (const timeoutMs of [0, -1, Number.NaN]) {
    assert.throws(() => new CoarseDeadlines(timeoutMs, timers), RangeError);
  }
});

Deno.test("the router answers a handler that never settles with 504 at its deadline, not before", async () => {
  const clock = new FakeClock(0);
  const router = new WebhookRouter({ handlerTimeoutMs: 1_000, clock })
    .registerAdmission("/hang", () => new Promise(() => {}))
    .registerAdmission("/ok", () => Promise.resolve(allowed()));
  const post = (path: string, uid: string) =>
    router.handle(
      new Request(`https://webhook.invalid${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(admissionReview(uid)),
      }),
    );
  let answeredAt: number | undefined;
  const hanging = post("/hang", "h-1").then((res) => (answeredAt = clock.now(), res));
  const ok = await post("/ok", "ok-1");
  assert.equal((await ok.json()).response.allowed, true);
  await clock.advance(999);
  assert.equal(answeredAt, undefined, "answered before its deadline");
  await clock.advance(1_000);
  const res = await hanging;
  assert.ok(answeredAt !== undefined && answeredAt >= 1_000 && answeredAt < 1_000 + 2 * 31);
  const review = await res.json();
  assert.equal(review.response.uid, "h-1");
  assert.equal(review.response.status.code, 504);
  assert.match(review.response.status.message, /deadline of 1000 ms/);
  assert.equal(clock.pendingTimers, 0);
});
