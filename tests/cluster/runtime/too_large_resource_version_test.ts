/**
 * Issue 10 items 6 and 9 against real apiservers: after a 410 the informer
 * relists at its last resourceVersion, and when that relist lands on an
 * apiserver that is behind it (a lagging HA member, an etcd restored from a
 * backup) and answers "Too large resource version", it relists from scratch
 * and ends up equal to what that apiserver holds.
 *
 * Two private planes stand for two apiservers behind one load balancer: A,
 * without a watch cache so that compaction really answers 410, and B, whose
 * etcd is behind A's. The load balancer sends every connection to A until A
 * answers 410, and to B from then on.
 */
import assert from "node:assert/strict";
import { startPlane } from "../../support/plane.ts";
import type { KubeClient } from "../../../src/kube/mod.ts";
import { Informer, isTooLargeResourceVersion } from "../../../src/runtime/mod.ts";
import {
  clientFor,
  CONFIGMAPS,
  createConfigMaps,
  freshList,
  sameContent,
  storeView,
  until,
} from "./_helpers.ts";

/** A load balancer in front of `a` that fails over to `b` once `a` answered 410. */
function failoverClient(a: KubeClient, b: KubeClient) {
  let target = a;
  let cut = Promise.withResolvers<"cut">();
  let gate: PromiseWithResolvers<void> | undefined;
  const decoder = new TextDecoder();
  const lb = {
    onB: () => target === b,
    tooLarge: 0,
    request: async <T>(...args: Parameters<KubeClient["request"]>) => {
      try {
        return await target.request<T>(...args);
      } catch (err) {
        if (isTooLargeResourceVersion(err)) lb.tooLarge++;
        throw err;
      }
    },
    stream: async (...args: Parameters<KubeClient["stream"]>) => {
      if (gate !== undefined) await gate.promise;
      let body: ReadableStream<Uint8Array>;
      try {
        body = await target.stream(...args);
      } catch (err) {
        if ((err as { status?: number }).status === 410) target = b;
        if (isTooLargeResourceVersion(err)) lb.tooLarge++;
        throw err;
      }
      const reader = body.getReader();
      const myCut = cut.promise;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          const r = await Promise.race([reader.read(), myCut]);
          if (r === "cut" || r.done) {
            controller.close();
            await reader.cancel().catch(() => {});
            return;
          }
          const text = decoder.decode(r.value, { stream: true });
          if (text.includes('"code":410')) target = b;
          if (text.includes("ResourceVersionTooLarge")) lb.tooLarge++;
          controller.enqueue(r.value);
        },
        cancel: (reason) => reader.cancel(reason),
      });
    },
    /** Closes every open watch and holds new ones until {@link heal}. */
    partition() {
      gate = Promise.withResolvers<void>();
      cut.resolve("cut");
      cut = Promise.withResolvers<"cut">();
    },
    heal() {
      gate?.resolve();
      gate = undefined;
    },
  };
  return lb;
}

async function createNamespaceNamed(client: KubeClient, name: string): Promise<void> {
  await client.request("POST", "/api/v1/namespaces", {
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
  });
}

Deno.test({
  name:
    "informer relists at its last resourceVersion after a 410, and from scratch when that lands on an apiserver behind it",
  async fn() {
    const [a, b] = await Promise.all([
      startPlane({ mode: "apiserver", apiserverArgs: ["--watch-cache=false"] }),
      startPlane({ mode: "apiserver" }),
    ]);
    const ac = new AbortController();
    try {
      const clientA = await clientFor(a.kubeconfigPath);
      const clientB = await clientFor(b.kubeconfigPath);
      const ns = `rt-too-large-${crypto.randomUUID().slice(0, 8)}`;
      // A is far ahead of B: what the informer learns from A, B has never reached.
      await createNamespaceNamed(clientA, "noise");
      await createConfigMaps(clientA, "noise", 150);
      await createNamespaceNamed(clientA, ns);
      await createConfigMaps(clientA, ns, 10);
      await createNamespaceNamed(clientB, ns);
      await createConfigMaps(clientB, ns, 3, { prefix: "behind" });

      const lb = failoverClient(clientA, clientB);
      const informer = new Informer(lb, CONFIGMAPS, { namespace: ns });
      const running = informer.start(ac.signal);
      assert.equal(await informer.waitForSync(ac.signal), true);
      assert.equal(informer.store.size, 10);

      // Cut the watch off, move A past what the informer saw, then let it reconnect: 410.
      lb.partition();
      await createConfigMaps(clientA, "noise", 20, { prefix: "later" });
      await a.compactEtcd();
      lb.heal();

      const fromB = await freshList(clientB, ns);
      await until(
        "a store equal to B's fresh list",
        () => sameContent(storeView(informer.store.list()), fromB),
        60_000,
      );
      assert.equal(lb.onB(), true);
      assert.ok(lb.tooLarge > 0, "B answered the relist at A's resourceVersion as too large");
      ac.abort();
      await running;
    } finally {
      ac.abort();
      await Promise.all([a.stop(), b.stop()]);
    }
  },
});
