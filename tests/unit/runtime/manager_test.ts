import assert from "node:assert/strict";
import {
  FakeClock,
  flush,
  Manager,
  MemoryLock,
  MemoryLockCell,
  type Runnable,
} from "../../../src/runtime/mod.ts";
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
