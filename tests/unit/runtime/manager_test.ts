import assert from "node:assert/strict";
import { Controller, LeaderElector, Manager, type Runnable } from "../../../src/runtime/mod.ts";
import { FakeClock, flush, MemoryLock, MemoryLockCell } from "../../../src/runtime/testing.ts";
import "./_fake_client.ts";

function recorder(log: string[], name: string, extra: Partial<Runnable> = {}): Runnable {
  return {
    ...extra,
    async start(signal) {
      log.push(`start:${name}`);
      await new Promise<void>((resolve) =>
        signal.addEventListener("abort", () => resolve(), { once: true })
      );
      log.push(`stop:${name}`);
    },
  };
}

Deno.test("manager starts groups in order, is ready only after caches sync, and stops in reverse", async () => {
  const log: string[] = [];
  const cell = new MemoryLockCell();
  const manager = new Manager({
    clock: new FakeClock(),
    probes: { port: 0, hostname: "127.0.0.1" },
    leaderElection: { lock: new MemoryLock(cell, "me"), name: "vigil" },
  });
  let synced = false;
  const sync = Promise.withResolvers<void>();
  const cache = {
    ...recorder(log, "cache"),
    hasSynced: () => synced,
    waitForSync: async () => {
      await sync.promise;
      return true;
    },
  };
  manager.add(recorder(log, "controller", { needLeaderElection: true }));
  manager.add(cache);
  manager.add(recorder(log, "webhook"), { group: "webhooks" });
  manager.add(recorder(log, "other"));
  const exit = manager.start();
  await manager.probeServer!.ready();
  await flush();
  const base = `http://127.0.0.1:${manager.probeServer!.port}`;
  const notReady = await fetch(`${base}/readyz`);
  assert.equal(notReady.status, 500);
  assert.match(await notReady.text(), /\[-\]caches failed/);
  assert.deepEqual(log, ["start:webhook", "start:cache"], "nothing after caches before they sync");
  synced = true;
  sync.resolve();
  await flush();
  assert.deepEqual(log, ["start:webhook", "start:cache", "start:other", "start:controller"]);
  const ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 200);
  await ready.body?.cancel();
  const healthz = await fetch(`${base}/healthz?verbose`);
  assert.match(await healthz.text(), /\[\+\]ping ok/);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /leader_election_master_status\{name="vigil"\} 1/);
  assert.equal(manager.isLeader(), true);
  manager.stop();
  assert.deepEqual(await exit, { reason: "stopped" });
  assert.deepEqual(log.slice(4), ["stop:controller", "stop:other", "stop:cache", "stop:webhook"]);
  assert.equal(cell.current?.record.holderIdentity, "", "the lease is released on stop");
});

Deno.test("manager reports a failing runnable and stops everything", async () => {
  const log: string[] = [];
  const manager = new Manager({ probes: false });
  manager.add(recorder(log, "other"));
  manager.add({ start: () => Promise.reject(new Error("boom")) });
  const exit = await manager.start();
  assert.equal(exit.reason, "error");
  assert.deepEqual(log, ["start:other", "stop:other"]);
});

/**
 * A manager leading through `cell` with one controller whose reconcile of
 * `ns/db1` is in flight and returns only when its signal aborts; plus a
 * standby candidate on the same cell.
 */
async function leaderWithReconcileInFlight(clock: FakeClock, cell: MemoryLockCell) {
  let inFlight: AbortSignal | undefined;
  let reconcileAbortedAt: number | undefined;
  const controller = new Controller({
    name: "leader-only",
    clock,
    reconcile: (_req, ctx) => {
      inFlight = ctx.signal;
      return new Promise((resolve) =>
        ctx.signal.addEventListener("abort", () => {
          reconcileAbortedAt = clock.now();
          resolve({});
        }, { once: true })
      );
    },
  });
  let controllerStoppedAt: number | undefined;
  const manager = new Manager({
    clock,
    probes: false,
    leaderElection: { lock: new MemoryLock(cell, "a"), name: "vigil" },
  });
  manager.add({
    needLeaderElection: true,
    async start(signal, options) {
      await controller.start(signal, options);
      controllerStoppedAt = clock.now();
    },
  });
  const exit = manager.start();
  await clock.advance(0);
  assert.equal(manager.isLeader(), true);
  controller.queue.add("ns/db1");
  await clock.advance(0);
  assert.equal(inFlight?.aborted, false, "a reconcile is in flight");
  const standby = new LeaderElector(new MemoryLock(cell, "b"), { clock, random: () => 0 });
  const standbyStop = new AbortController();
  const standbyRun = standby.run(standbyStop.signal);
  return {
    manager,
    exit,
    standby,
    reconcileAbortedAt: () => reconcileAbortedAt,
    controllerStoppedAt: () => controllerStoppedAt,
    async stopStandby() {
      standbyStop.abort();
      await standbyRun;
    },
  };
}

/**
 * Cuts the apiserver off from the current leader: from the renew deadline on,
 * only the standby reaches it. Returns when the standby leads (or after a minute).
 */
async function cutOffLeader(
  clock: FakeClock,
  cell: MemoryLockCell,
  standby: LeaderElector,
): Promise<{ lastRenew: number; standbyLeadsAt: number | undefined }> {
  const lastRenew = cell.current!.record.renewTimeMs;
  cell.failing = new Error("apiserver unreachable for a");
  let standbyLeadsAt: number | undefined;
  for (let t = 0; t < 60_000 && standbyLeadsAt === undefined; t += 100) {
    await clock.advance(100);
    if (clock.now() >= lastRenew + 10_000) cell.failing = undefined;
    if (standby.isLeader()) standbyLeadsAt = clock.now();
  }
  return { lastRenew, standbyLeadsAt };
}

Deno.test("a manager that loses its lease aborts in-flight reconciles and stops its controllers before a standby can acquire", async () => {
  const clock = new FakeClock();
  const cell = new MemoryLockCell();
  const a = await leaderWithReconcileInFlight(clock, cell);
  await clock.advance(4000);
  const { lastRenew, standbyLeadsAt } = await cutOffLeader(clock, cell, a.standby);
  assert.ok(standbyLeadsAt !== undefined, "the standby acquires once the lease expires");
  assert.ok(standbyLeadsAt >= lastRenew + 15_000, `standby led at +${standbyLeadsAt - lastRenew}`);
  const abortedAt = a.reconcileAbortedAt();
  assert.ok(
    abortedAt !== undefined && abortedAt <= lastRenew + 10_000,
    `the in-flight reconcile was aborted at +${(abortedAt ?? NaN) - lastRenew}`,
  );
  const stoppedAt = a.controllerStoppedAt();
  assert.ok(
    stoppedAt !== undefined && stoppedAt < standbyLeadsAt,
    `controller.start() resolved at +${(stoppedAt ?? NaN) - lastRenew}`,
  );
  assert.deepEqual(await a.exit, { reason: "leaderElectionLost" });
  await a.stopStandby();
});

Deno.test("a manager draining after SIGTERM keeps its lease, and aborts the drain at once if the lease is lost", async () => {
  const clock = new FakeClock();
  const cell = new MemoryLockCell();
  const a = await leaderWithReconcileInFlight(clock, cell);
  a.manager.stop();
  await clock.advance(16_000); // past a lease duration since the last renewal before the stop
  assert.equal(a.reconcileAbortedAt(), undefined, "the reconcile drains");
  assert.equal(a.standby.isLeader(), false, "the lease is renewed while leader work drains");
  assert.equal(cell.current!.record.holderIdentity, "a");
  const { lastRenew, standbyLeadsAt } = await cutOffLeader(clock, cell, a.standby);
  const abortedAt = a.reconcileAbortedAt();
  assert.ok(
    abortedAt !== undefined && abortedAt <= lastRenew + 10_000,
    `the draining reconcile was aborted at +${(abortedAt ?? NaN) - lastRenew}`,
  );
  const stoppedAt = a.controllerStoppedAt();
  assert.ok(standbyLeadsAt !== undefined && stoppedAt !== undefined && stoppedAt < standbyLeadsAt);
  assert.deepEqual(await a.exit, { reason: "leaderElectionLost" });
  await a.stopStandby();
});
