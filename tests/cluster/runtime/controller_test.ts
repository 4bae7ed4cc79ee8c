import assert from "node:assert/strict";
import { sharedPlane } from "../../support/shared_plane.ts";
import { Controller, Informer } from "../../../src/runtime/mod.ts";
import {
  clientFor,
  CONFIGMAPS,
  createConfigMaps,
  createNamespace,
  deleteNamespace,
  until,
} from "./_helpers.ts";

Deno.test("a controller with 4 workers never reconciles one key concurrently under a flood of updates", async () => {
  const plane = await sharedPlane();
  const client = await clientFor(plane.kubeconfigPath);
  const ns = await createNamespace(client, "rt-flood");
  const ac = new AbortController();
  try {
    await createConfigMaps(client, ns, 5);
    const informer = new Informer(client, CONFIGMAPS, { namespace: ns });
    const inFlight = new Set<string>();
    let overlaps = 0;
    let reconciles = 0;
    let maxParallel = 0;
    const controller = new Controller({
      name: "flood",
      workers: 4,
      reconcile: async (_req, ctx) => {
        if (inFlight.has(ctx.key)) overlaps++;
        inFlight.add(ctx.key);
        maxParallel = Math.max(maxParallel, inFlight.size);
        await new Promise((r) => setTimeout(r, 2 + Math.random() * 8));
        inFlight.delete(ctx.key);
        reconciles++;
        return {};
      },
    }).watch(informer);
    const running = Promise.all([informer.start(ac.signal), controller.start(ac.signal)]);
    await informer.waitForSync(ac.signal);
    const updates = Array.from(
      { length: 200 },
      (_, i) =>
        client.request("PATCH", `/api/v1/namespaces/${ns}/configmaps/cm-${i % 5}`, {
          body: { data: { n: String(i) } },
          contentType: "application/merge-patch+json",
        }),
    );
    await Promise.all(updates);
    await until("the queue to drain", () => controller.queue.len() === 0 && inFlight.size === 0);
    ac.abort();
    await running;
    assert.equal(overlaps, 0);
    assert.ok(reconciles >= 5);
    assert.ok(maxParallel > 1, "the workers did run in parallel on different keys");
  } finally {
    ac.abort();
    await deleteNamespace(client, ns);
  }
});

Deno.test("after a restart, a change to one of 2,000 objects is reconciled before the initial backlog drains", async () => {
  const plane = await sharedPlane();
  const client = await clientFor(plane.kubeconfigPath);
  const ns = await createNamespace(client, "rt-priority");
  try {
    await createConfigMaps(client, ns, 2_000, { concurrency: 50 });
    const run = async (changeAfterStart: boolean) => {
      const ac = new AbortController();
      const informer = new Informer(client, CONFIGMAPS, { namespace: ns });
      let done = 0;
      let changedAt: number | undefined;
      const controller = new Controller({
        name: "priority",
        workers: 1,
        reconcile: async (req) => {
          await new Promise((r) => setTimeout(r, 5));
          done++;
          const cached = informer.store.get(`${ns}/${req.name}`);
          if (cached?.metadata?.labels?.changed === "yes" && changedAt === undefined) {
            changedAt = done;
          }
          return {};
        },
      }).watch(informer);
      const running = Promise.all([informer.start(ac.signal), controller.start(ac.signal)]);
      await informer.waitForSync(ac.signal);
      if (changeAfterStart) {
        await until("the backlog to start", () => done > 0);
        await client.request("PATCH", `/api/v1/namespaces/${ns}/configmaps/cm-1999`, {
          body: { metadata: { labels: { changed: "yes" } } },
          contentType: "application/merge-patch+json",
        });
        await until("the change to be reconciled", () => changedAt !== undefined, 60_000);
      } else {
        await until("a few reconciles", () => done > 10);
      }
      ac.abort();
      await running;
      return changedAt;
    };
    await run(false); // the first run
    const position = await run(true); // the restart
    assert.ok(position !== undefined && position < 500, `reconciled as number ${position} of 2000`);
  } finally {
    await deleteNamespace(client, ns);
  }
});
