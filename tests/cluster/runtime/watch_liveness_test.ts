/**
 * A watch against a real apiserver (issue 10 item 7): one connection carries
 * many events, and when the apiserver is killed with SIGKILL the watch
 * notices within milliseconds, not after the 90 s inactivity guard. The
 * measured time is printed.
 */
import assert from "node:assert/strict";
import { startPlane } from "../../support/plane.ts";
import { Informer, type WatchClient } from "../../../src/runtime/mod.ts";
import type { KubeClient } from "../../../src/kube/mod.ts";
import { clientFor, CONFIGMAPS, createConfigMaps, createNamespace, until } from "./_helpers.ts";

/** Wraps a client and records when a watch body ended, failed or was cancelled. */
function noticingClient(client: KubeClient) {
  const wrapper = {
    opened: 0,
    noticedAt: undefined as number | undefined,
    how: "",
    request: <T>(...args: Parameters<KubeClient["request"]>) => client.request<T>(...args),
    stream: async (...args: Parameters<KubeClient["stream"]>) => {
      const reader = (await client.stream(...args)).getReader();
      wrapper.opened++;
      const notice = (how: string) => {
        if (wrapper.noticedAt === undefined) {
          wrapper.noticedAt = performance.now();
          wrapper.how = how;
        }
      };
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const r = await reader.read();
            if (r.done) {
              notice("the body ended");
              controller.close();
            } else {
              controller.enqueue(r.value);
            }
          } catch (err) {
            notice(`the body failed: ${(err as Error).message}`);
            controller.error(err);
          }
        },
        cancel: (reason) => {
          notice(`the watcher cancelled the body: ${String(reason)}`);
          return reader.cancel(reason);
        },
      });
    },
  } satisfies WatchClient & Record<string, unknown>;
  return wrapper;
}

Deno.test("a watch keeps its connection across events and notices at once that its apiserver was killed", async (t) => {
  const plane = await startPlane({ mode: "apiserver" });
  const ac = new AbortController();
  try {
    const client = await clientFor(plane.kubeconfigPath);
    const ns = await createNamespace(client, "rt-liveness");
    await createConfigMaps(client, ns, 5);
    const noticing = noticingClient(client);
    const informer = new Informer(noticing, CONFIGMAPS, { namespace: ns });
    const running = informer.start(ac.signal);
    assert.equal(await informer.waitForSync(ac.signal), true);

    await t.step("one watch connection carries many events", async () => {
      const opened = noticing.opened;
      noticing.noticedAt = undefined;
      await createConfigMaps(client, ns, 20, { prefix: "more", concurrency: 1 });
      await until("the new ConfigMaps in the cache", () => informer.store.size === 25);
      assert.equal(noticing.noticedAt, undefined, `the watch ended by itself: ${noticing.how}`);
      assert.equal(noticing.opened, opened, "no watch was reopened");
    });

    await t.step("a SIGKILLed apiserver is noticed within a second", async () => {
      noticing.noticedAt = undefined;
      const killedAt = performance.now();
      Deno.kill(plane.pids()["kube-apiserver"]!, "SIGKILL");
      await until("the watch to notice", () => noticing.noticedAt !== undefined, 120_000);
      const ms = noticing.noticedAt! - killedAt;
      console.log(`apiserver SIGKILL → watch noticed after ${ms.toFixed(0)} ms (${noticing.how})`);
      assert.ok(ms < 1_000, `noticed only after ${ms.toFixed(0)} ms`);
    });
    ac.abort();
    await running;
  } finally {
    ac.abort();
    await plane.stop();
  }
});
