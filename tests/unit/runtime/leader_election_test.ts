import assert from "node:assert/strict";
import {
  LeaderElectionLostError,
  LeaderElector,
  type ResourceLock,
  toMicroTime,
} from "../../../src/runtime/mod.ts";
import { FakeClock, flush, MemoryLock, MemoryLockCell } from "../../../src/runtime/testing.ts";
import "./_fake_client.ts";

function candidate(
  cell: MemoryLockCell,
  id: string,
  clock: FakeClock,
  options: { watch?: boolean } = {},
) {
  const events: string[] = [];
  let workAbortedAt: number | undefined;
  const memory = new MemoryLock(cell, id);
  // Without watch: a lock that only polls, as client-go's do.
  const lock: ResourceLock = options.watch === false
    ? {
      identity: memory.identity,
      get: () => memory.get(),
      create: (record) => memory.create(record),
      update: (record) => memory.update(record),
      describe: () => memory.describe(),
    }
    : memory;
  const elector = new LeaderElector(lock, {
    clock,
    random: () => 0,
    onStartedLeading: (signal) => {
      events.push(`started@${clock.now()}`);
      return new Promise<void>((resolve) => {
        signal.addEventListener("abort", () => {
          workAbortedAt = clock.now();
          resolve();
        }, { once: true });
      });
    },
    onStoppedLeading: () => events.push("stopped"),
    onNewLeader: (who) => events.push(`leader:${who}`),
  });
  const ac = new AbortController();
  const run = elector.run(ac.signal);
  return { elector, events, ac, run, workAbortedAt: () => workAbortedAt };
}

Deno.test("leader election acquires a free lock and renews it every retry period", async () => {
  const clock = new FakeClock();
  const cell = new MemoryLockCell();
  const a = candidate(cell, "a", clock);
  await clock.advance(0);
  assert.equal(a.elector.isLeader(), true);
  assert.deepEqual(a.events, ["leader:a", `started@${clock.now()}`]);
  const acquired = cell.current!.record;
  assert.equal(acquired.leaseTransitions, 0);
  assert.equal(acquired.leaseDurationSeconds, 15);
  await clock.advance(2000);
  const renewed = cell.current!.record;
  assert.equal(renewed.renewTimeMs, acquired.renewTimeMs + 2000);
  assert.equal(renewed.acquireTimeMs, acquired.acquireTimeMs, "renewal keeps acquireTime");
  a.ac.abort();
  assert.deepEqual(await a.run, { type: "stopped" });
});

Deno.test("leader election keeps a standby out while the leader renews", async () => {
  const clock = new FakeClock();
  const cell = new MemoryLockCell();
  const a = candidate(cell, "a", clock);
  await clock.advance(0);
  const b = candidate(cell, "b", clock);
  await clock.advance(60_000);
  assert.equal(b.elector.isLeader(), false);
  assert.deepEqual(b.events, ["leader:a"]);
  b.ac.abort();
  a.ac.abort();
  await Promise.all([a.run, b.run]);
});

Deno.test("a leader that cannot renew aborts its work before the lease can expire for others", async () => {
  const clock = new FakeClock();
  const cell = new MemoryLockCell();
  const a = candidate(cell, "a", clock);
  await clock.advance(0);
  const b = candidate(cell, "b", clock);
  await clock.advance(4000);
  const lastRenew = cell.current!.record.renewTimeMs;
  const failing = new Error("apiserver unreachable for a");
  cell.failing = failing;
  let bLeadAt: number | undefined;
  for (let t = 0; t < 30_000 && bLeadAt === undefined; t += 100) {
    await clock.advance(100);
    if (clock.now() >= lastRenew + 10_000) cell.failing = undefined; // b can reach it again
    if (b.elector.isLeader()) bLeadAt = clock.now();
  }
  assert.deepEqual(await a.run, { type: "lost" });
  const aborted = a.workAbortedAt();
  assert.ok(
    aborted !== undefined && aborted <= lastRenew + 10_000,
    `aborted at +${aborted! - lastRenew}`,
  );
  assert.ok(
    bLeadAt !== undefined && bLeadAt >= lastRenew + 15_000,
    `b led at +${bLeadAt! - lastRenew}`,
  );
  assert.ok(aborted < bLeadAt);
  assert.equal(cell.current!.record.leaseTransitions, 1);
  b.ac.abort();
  await b.run;
});

Deno.test("takeover of an expired lease increments leaseTransitions", async () => {
  const clock = new FakeClock();
  const cell = new MemoryLockCell();
  cell.write({
    holderIdentity: "dead",
    leaseDurationSeconds: 15,
    acquireTimeMs: 0,
    renewTimeMs: 0,
    leaseTransitions: 3,
  });
  const b = candidate(cell, "b", clock);
  await clock.advance(0);
  const seenAt = clock.now();
  await clock.advance(14_000);
  assert.equal(
    b.elector.isLeader(),
    false,
    "expiry counts from when b saw the record, not renewTime",
  );
  await clock.advance(2_000);
  assert.equal(b.elector.isLeader(), true);
  assert.ok(clock.now() - seenAt >= 15_000);
  assert.equal(cell.current!.record.leaseTransitions, 4);
  assert.equal(cell.current!.record.holderIdentity, "b");
  b.ac.abort();
  await b.run;
});

Deno.test("a graceful stop releases the lease, and a polling standby takes over on its next retry", async () => {
  const clock = new FakeClock();
  const cell = new MemoryLockCell();
  const a = candidate(cell, "a", clock, { watch: false });
  await clock.advance(0);
  const b = candidate(cell, "b", clock, { watch: false });
  await clock.advance(1000);
  a.ac.abort();
  await a.run;
  assert.deepEqual(a.events.slice(-1), ["stopped"]);
  assert.equal(cell.current!.record.holderIdentity, "");
  assert.equal(cell.current!.record.leaseDurationSeconds, 1);
  const releasedAt = clock.now();
  await clock.advance(2000);
  assert.equal(b.elector.isLeader(), true);
  assert.ok(clock.now() - releasedAt <= 2000);
  b.ac.abort();
  await b.run;
});

Deno.test("a standby watching the lock takes a released lease at once, without waiting a retry period", async () => {
  const clock = new FakeClock();
  const cell = new MemoryLockCell();
  const a = candidate(cell, "a", clock);
  await clock.advance(0);
  const b = candidate(cell, "b", clock);
  await clock.advance(1000);
  const releasedAt = clock.now();
  a.ac.abort();
  await a.run;
  await flush();
  assert.equal(clock.now(), releasedAt, "no time has passed");
  assert.equal(b.elector.isLeader(), true);
  assert.equal(cell.current!.record.holderIdentity, "b");
  assert.equal(cell.current!.record.leaseTransitions, 1);
  b.ac.abort();
  await b.run;
});

Deno.test("a watch that sees the leader renew does not let a standby take a valid lease", async () => {
  const clock = new FakeClock();
  const cell = new MemoryLockCell();
  const a = candidate(cell, "a", clock);
  await clock.advance(0);
  const b = candidate(cell, "b", clock);
  // Many renewals, each a change the standby is woken for: it must stay a standby.
  await clock.advance(12_000);
  assert.equal(a.elector.isLeader(), true);
  assert.equal(b.elector.isLeader(), false);
  assert.equal(cell.current!.record.holderIdentity, "a");
  a.ac.abort();
  b.ac.abort();
  await Promise.all([a.run, b.run]);
});

Deno.test("leader election rejects timings that break its safety argument", () => {
  const lock = new MemoryLock(new MemoryLockCell(), "x");
  assert.throws(() => new LeaderElector(lock, { leaseDurationMs: 10_000 }), RangeError);
  assert.throws(() => new LeaderElector(lock, { retryPeriodMs: 9_000 }), RangeError);
});

Deno.test("lease times are written as MicroTime", () => {
  assert.equal(toMicroTime(Date.UTC(2006, 0, 2, 15, 4, 5, 123)), "2006-01-02T15:04:05.123000Z");
});

Deno.test("a leader keeps renewing while its work drains after a graceful stop, then releases", async () => {
  const clock = new FakeClock();
  const cell = new MemoryLockCell();
  const drained = Promise.withResolvers<void>();
  const a = new LeaderElector(new MemoryLock(cell, "a"), {
    clock,
    onStartedLeading: async (signal) => {
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      await drained.promise;
    },
  });
  const stop = new AbortController();
  const run = a.run(stop.signal);
  await clock.advance(0);
  const b = candidate(cell, "b", clock);
  await clock.advance(1000);
  stop.abort();
  await clock.advance(40_000);
  assert.equal(b.elector.isLeader(), false, "no standby takes over while the work drains");
  assert.equal(cell.current!.record.holderIdentity, "a");
  assert.ok(cell.current!.record.renewTimeMs > clock.now() - 2_000, "still renewed");
  drained.resolve();
  assert.deepEqual(await run, { type: "stopped" });
  await flush();
  assert.equal(b.elector.isLeader(), true, "the released lease is taken at once");
  b.ac.abort();
  await b.run;
});

Deno.test("a standby judges expiry by the holder's lease duration, not its own", async () => {
  const clock = new FakeClock();
  const cell = new MemoryLockCell();
  cell.write({
    holderIdentity: "slow",
    leaseDurationSeconds: 60,
    acquireTimeMs: 0,
    renewTimeMs: 0,
    leaseTransitions: 0,
  });
  const b = candidate(cell, "b", clock); // configured with client-go's 15 s
  await clock.advance(0);
  const seenAt = clock.now();
  await clock.advance(30_000);
  assert.equal(b.elector.isLeader(), false, "a 60 s lease is valid for 60 s");
  await clock.advance(32_000);
  assert.equal(b.elector.isLeader(), true);
  assert.ok(clock.now() - seenAt >= 60_000);
  b.ac.abort();
  await b.run;
});

Deno.test("leader work's signal carries the stop's reason when stopped, and a LeaderElectionLostError when the lease is lost", async () => {
  const clock = new FakeClock();
  const reasons: unknown[] = [];
  const lead = (cell: MemoryLockCell) =>
    new LeaderElector(new MemoryLock(cell, "a"), {
      clock,
      random: () => 0,
      onStartedLeading: (signal) =>
        new Promise<void>((resolve) =>
          signal.addEventListener("abort", () => {
            reasons.push(signal.reason);
            resolve();
          }, { once: true })
        ),
    });
  const stopped = new MemoryLockCell();
  const stop = new AbortController();
  const first = lead(stopped).run(stop.signal);
  await clock.advance(0);
  stop.abort("SIGTERM");
  assert.deepEqual(await first, { type: "stopped" });
  assert.equal(reasons.length, 1);
  assert.equal(reasons[0], "SIGTERM");

  const lostCell = new MemoryLockCell();
  const second = lead(lostCell).run(new AbortController().signal);
  await clock.advance(0);
  lostCell.failing = new Error("apiserver unreachable");
  await clock.advance(15_000);
  assert.deepEqual(await second, { type: "lost" });
  assert.ok(reasons[1] instanceof LeaderElectionLostError, String(reasons[1]));
});

/**
 * A leader "a" whose renewal reached the server but whose answer was lost:
 * the write committed, and the elector sees only its own abort once the stop
 * cuts the renewal short, so the version its lock remembers is stale.
 * Resolves once that renewal is in flight; `stop()` then stops the leader.
 */
async function leaderWithLostRenewal(cell: MemoryLockCell, clock: FakeClock) {
  const memory = new MemoryLock(cell, "a");
  const inFlight = Promise.withResolvers<void>();
  let lose = false;
  const lock: ResourceLock = {
    identity: "a",
    get: () => memory.get(),
    create: (record) => memory.create(record),
    update: (record, signal) => {
      if (!lose) return memory.update(record);
      lose = false;
      cell.write(record);
      inFlight.resolve();
      return new Promise<void>((_, reject) =>
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true })
      );
    },
    describe: () => memory.describe(),
  };
  const elector = new LeaderElector(lock, {
    clock,
    random: () => 0,
    onStartedLeading: (signal) =>
      new Promise<void>((resolve) =>
        signal.addEventListener("abort", () => resolve(), { once: true })
      ),
  });
  const controller = new AbortController();
  const run = elector.run(controller.signal);
  await clock.advance(0);
  assert.equal(elector.isLeader(), true);
  lose = true;
  await clock.advance(2_000);
  await inFlight.promise;
  return {
    stop: () => {
      controller.abort("SIGTERM");
      return run;
    },
  };
}

Deno.test("a stop that cuts short a renewal whose answer was lost still releases the lease", async () => {
  const clock = new FakeClock();
  const cell = new MemoryLockCell();
  const a = await leaderWithLostRenewal(cell, clock);
  assert.deepEqual(await a.stop(), { type: "stopped" });
  assert.equal(cell.current!.record.holderIdentity, "", "released, not left to expire");
  assert.equal(cell.current!.record.leaseDurationSeconds, 1);
});

Deno.test("a stopping leader leaves alone a lease that another candidate holds", async () => {
  const clock = new FakeClock();
  const cell = new MemoryLockCell();
  const a = await leaderWithLostRenewal(cell, clock);
  // Meanwhile another candidate took the lease (this leader's renewals stalled).
  const taken = {
    holderIdentity: "b",
    leaseDurationSeconds: 15,
    acquireTimeMs: clock.now(),
    renewTimeMs: clock.now(),
    leaseTransitions: 1,
  };
  cell.write(taken);
  assert.deepEqual(await a.stop(), { type: "stopped" });
  assert.deepEqual(cell.current!.record, taken, "b's lease is untouched");
});
