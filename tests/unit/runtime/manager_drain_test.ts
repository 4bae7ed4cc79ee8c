import assert from "node:assert/strict";
import { Manager, type Runnable } from "../../../src/runtime/mod.ts";
import { FakeClock, flush, MemoryLock, MemoryLockCell } from "../../../src/runtime/testing.ts";

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

function cacheRecorder(log: string[], name: string) {
  return {
    ...recorder(log, name),
    hasSynced: () => true,
    waitForSync: () => Promise.resolve(true),
  };
}

async function started(drainMs?: number) {
  const log: string[] = [];
  const clock = new FakeClock();
  const cell = new MemoryLockCell();
  const manager = new Manager({
    clock,
    probes: false,
    leaderElection: { lock: new MemoryLock(cell, "me"), name: "vigil" },
    ...(drainMs === undefined ? {} : { webhookDrainMs: drainMs }),
  });
  manager.add(recorder(log, "controller", { needLeaderElection: true }));
  manager.add(cacheRecorder(log, "cache"));
  manager.add(recorder(log, "webhook"), { group: "webhooks" });
  manager.add(recorder(log, "server"), { group: "httpServers" });
  const exit = manager.start();
  await flush();
  assert.ok(log.includes("start:controller"), log.join());
  return { log, clock, cell, manager, exit };
}

Deno.test("after a stop, webhooks serve through the drain while leader work and caches stop at once; servers stop last", async () => {
  const { log, clock, cell, manager, exit } = await started(5_000);
  log.length = 0;
  manager.stop();
  await clock.advance(0);
  assert.deepEqual(log, ["stop:controller", "stop:cache"]);
  assert.equal(cell.current?.record.holderIdentity, "", "the lease is released before the drain");
  await clock.advance(4_999);
  assert.deepEqual(log, ["stop:controller", "stop:cache"], "webhooks still serve");
  await clock.advance(1);
  assert.deepEqual(await exit, { reason: "stopped" });
  assert.deepEqual(log, ["stop:controller", "stop:cache", "stop:webhook", "stop:server"]);
});

Deno.test("the drain counts from the stop, so time leader work took to drain is not added", async () => {
  const log: string[] = [];
  const clock = new FakeClock();
  const manager = new Manager({ clock, probes: false, webhookDrainMs: 5_000 });
  const slow: Runnable = {
    needLeaderElection: true,
    async start(signal) {
      await new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
      await clock.sleep(3_000);
      log.push("stop:controller");
    },
  };
  manager.add(slow);
  manager.add(recorder(log, "webhook"), { group: "webhooks" });
  const exit = manager.start();
  await flush();
  manager.stop();
  await clock.advance(3_000);
  assert.deepEqual(log, ["start:webhook", "stop:controller"]);
  await clock.advance(2_000);
  assert.deepEqual(await exit, { reason: "stopped" });
  assert.deepEqual(log, ["start:webhook", "stop:controller", "stop:webhook"]);
});

Deno.test("without a drain the webhooks stop right after the caches, as before", async () => {
  const { log, manager, exit } = await started();
  log.length = 0;
  manager.stop();
  assert.deepEqual(await exit, { reason: "stopped" });
  assert.deepEqual(log, ["stop:controller", "stop:cache", "stop:webhook", "stop:server"]);
});
