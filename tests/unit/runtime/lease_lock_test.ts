import assert from "node:assert/strict";
import { NetworkError } from "../../../src/kube/mod.ts";
import { LeaseLock, type LeaseLockOptions } from "../../../src/runtime/mod.ts";
import { FakeClock } from "../../../src/runtime/testing.ts";
import "./_fake_client.ts";

Deno.test("a standby's Lease watch reconnects with the watcher's backoff while the apiserver is down", async () => {
  const clock = new FakeClock();
  const attempts: number[] = [];
  let healthy = false;
  let closedAt: number | undefined;
  const client = {
    request: <T>(): Promise<T> => Promise.reject(new Error("no request expected")),
    stream: (): Promise<ReadableStream<Uint8Array>> => {
      attempts.push(clock.now());
      if (!healthy) return Promise.reject(new NetworkError("connection refused", { status: 0 }));
      healthy = false;
      // A watch that works for three minutes, then ends.
      return Promise.resolve(
        new ReadableStream({
          start(controller) {
            clock.setTimeout(() => {
              closedAt = clock.now();
              controller.close();
            }, 180_000);
          },
        }),
      );
    },
  };
  const options: LeaseLockOptions = {
    namespace: "ns",
    name: "vigil",
    identity: "b",
    clock,
    random: () => 0,
  };
  const lock = new LeaseLock(client, options);
  const stop = new AbortController();
  const watching = lock.watch(stop.signal, () => {});
  await clock.advance(120_000);
  const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!);
  assert.deepEqual(
    gaps,
    [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000].slice(0, gaps.length),
    "800 ms doubling to a 30 s cap",
  );
  assert.ok(gaps.length >= 7, `${attempts.length} attempts in two minutes`);
  healthy = true;
  await clock.advance(30_000 + 180_000 + 1_000);
  assert.ok(closedAt !== undefined, "the healthy watch ran and ended");
  const next = attempts.find((at) => at > closedAt!);
  assert.equal(next! - closedAt, 800, "after a healthy watch the backoff starts over");
  stop.abort();
  await watching;
});
