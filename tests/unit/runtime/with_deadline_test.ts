import assert from "node:assert/strict";
import { withDeadline } from "../../../src/runtime/mod.ts";
import { FakeClock, flush } from "../../../src/runtime/testing.ts";

Deno.test("withDeadline returns the work's value and leaves no timer or listener", async () => {
  const clock = new FakeClock();
  const cut = new AbortController();
  let seen: AbortSignal | undefined;
  const outcome = await withDeadline((signal) => {
    seen = signal;
    return Promise.resolve(7);
  }, { timeoutMs: 1_000, clock, signal: cut.signal });
  assert.deepEqual(outcome, { type: "done", value: 7 });
  assert.equal(clock.pendingTimers, 0);
  cut.abort();
  assert.equal(seen?.aborted, false, "a settled work's signal never aborts");
});

Deno.test("withDeadline turns a throw or a rejection into the failed outcome, never a rejection", async () => {
  const boom = new Error("boom");
  assert.deepEqual(
    await withDeadline(() => {
      throw boom;
    }, { timeoutMs: 10, clock: new FakeClock() }),
    { type: "failed", error: boom },
  );
  assert.deepEqual(
    await withDeadline(() => Promise.reject(boom), { timeoutMs: 10, clock: new FakeClock() }),
    { type: "failed", error: boom },
  );
});

Deno.test("withDeadline gives up at the deadline and aborts the work's signal with the timeout reason", async () => {
  const clock = new FakeClock();
  let seen: AbortSignal | undefined;
  let built = 0;
  const reason = new Error("too slow");
  const pending = withDeadline((signal) => {
    seen = signal;
    return new Promise<never>(() => {});
  }, {
    timeoutMs: 500,
    clock,
    timeoutReason: () => {
      built++;
      return reason;
    },
  });
  await clock.advance(499);
  assert.equal(seen?.aborted, false);
  assert.equal(built, 0, "the reason is built only when the deadline passes");
  await clock.advance(1);
  assert.deepEqual(await pending, { type: "timeout", reason });
  assert.equal(seen?.reason, reason);
  assert.equal(built, 1);
});

Deno.test("withDeadline stops waiting at once when its signal aborts, with that reason", async () => {
  const clock = new FakeClock();
  const cut = new AbortController();
  let seen: AbortSignal | undefined;
  const pending = withDeadline((signal) => {
    seen = signal;
    return new Promise<never>(() => {});
  }, { timeoutMs: 60_000, clock, signal: cut.signal });
  await flush();
  cut.abort("now");
  assert.deepEqual(await pending, { type: "cut", reason: "now" });
  assert.equal(seen?.reason, "now");
  assert.equal(clock.pendingTimers, 0);
  const already = await withDeadline(() => 1, { timeoutMs: 10, clock, signal: cut.signal });
  assert.deepEqual(already, { type: "cut", reason: "now" });
});
