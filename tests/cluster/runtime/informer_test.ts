import assert from "node:assert/strict";
import { sharedPlane } from "../../support/shared_plane.ts";
import { startPlane } from "../../support/plane.ts";
import { DeletedFinalStateUnknown, Informer } from "../../../src/runtime/mod.ts";
import {
  clientFor,
  CONFIGMAPS,
  createConfigMaps,
  createNamespace,
  deleteNamespace,
  freshList,
  partitionableClient,
  sameContent,
  storeView,
  until,
} from "./_helpers.ts";

Deno.test("informer sees creates, updates and deletes of ConfigMaps", async () => {
  const plane = await sharedPlane();
  const client = await clientFor(plane.kubeconfigPath);
  const ns = await createNamespace(client, "rt-informer");
  const ac = new AbortController();
  try {
    const informer = new Informer(client, CONFIGMAPS, { namespace: ns });
    const seen: string[] = [];
    informer.addEventHandler({
      onAdd: (o) => seen.push(`add:${o.metadata?.name}`),
      onUpdate: (_o, n) => seen.push(`update:${n.metadata?.name}`),
      onDelete: (o) => seen.push(`delete:${"key" in o ? o.key : o.metadata?.name}`),
    });
    const running = informer.start(ac.signal);
    assert.equal(await informer.waitForSync(ac.signal), true);
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    await client.request("POST", path, { body: { metadata: { name: "a" }, data: { v: "1" } } });
    await client.request("PATCH", `${path}/a`, {
      body: { data: { v: "2" } },
      contentType: "application/merge-patch+json",
    });
    await client.request("DELETE", `${path}/a`);
    // On a full plane the controller-manager also adds kube-root-ca.crt to
    // the namespace, so wait for the delete itself rather than a count.
    await until("the delete event", () => seen.includes("delete:a"));
    assert.deepEqual(seen.filter((s) => !s.startsWith("add:kube-root-ca")), [
      "add:a",
      "update:a",
      "delete:a",
    ]);
    assert.equal(informer.store.get(`${ns}/a`), undefined);
    ac.abort();
    await running;
  } finally {
    ac.abort();
    await deleteNamespace(client, ns);
  }
});

Deno.test({
  name: "informer relists after etcd compaction forces 410 Gone and its store equals a fresh list",
  // A private plane without the watch cache: watches read etcd, so a compacted
  // resourceVersion really answers 410.
  async fn() {
    const plane = await startPlane({ mode: "apiserver", apiserverArgs: ["--watch-cache=false"] });
    const ac = new AbortController();
    try {
      const client = await clientFor(plane.kubeconfigPath);
      const ns = await createNamespace(client, "rt-gone");
      const other = await createNamespace(client, "rt-noise");
      await createConfigMaps(client, ns, 30);
      const counting = partitionableClient(client);
      const informer = new Informer(counting, CONFIGMAPS, { namespace: ns });
      const tombstones: string[] = [];
      informer.addEventHandler({
        onDelete: (o) => {
          if (o instanceof DeletedFinalStateUnknown) tombstones.push(o.key);
        },
      });
      const running = informer.start(ac.signal);
      await informer.waitForSync(ac.signal);
      // Cut the informer off so that no bookmark moves its resourceVersion on.
      counting.partition();
      // A delete it misses (the relist must reveal it as a tombstone) and
      // changes elsewhere, then compaction past what it last saw.
      await client.request("DELETE", `/api/v1/namespaces/${ns}/configmaps/cm-3`);
      await createConfigMaps(client, other, 20);
      await plane.compactEtcd();
      counting.heal();
      await until("a relist revealing the missed delete", () => tombstones.length > 0, 60_000);
      assert.deepEqual(tombstones, [`${ns}/cm-3`]);
      const fresh = await freshList(client, ns);
      await until(
        "store equal to a fresh list",
        () => sameContent(storeView(informer.store.list()), fresh),
      );
      ac.abort();
      await running;
    } finally {
      ac.abort();
      await plane.stop();
    }
  },
});

Deno.test("informer recovers from an apiserver restart mid-watch with the same result as a fresh list", async () => {
  const plane = await startPlane({ mode: "apiserver" });
  const ac = new AbortController();
  try {
    const client = await clientFor(plane.kubeconfigPath);
    const ns = await createNamespace(client, "rt-restart");
    await createConfigMaps(client, ns, 20);
    // Under Deno a dead watch connection is noticed by the inactivity timer
    // (see watcher.ts); a short one keeps the test short.
    const informer = new Informer(client, CONFIGMAPS, {
      namespace: ns,
      inactivityTimeoutMs: 5_000,
    });
    const running = informer.start(ac.signal);
    await informer.waitForSync(ac.signal);
    await plane.restartApiServer();
    await client.request("DELETE", `/api/v1/namespaces/${ns}/configmaps/cm-1`);
    await createConfigMaps(client, ns, 3, { prefix: "after" });
    const fresh = await freshList(client, ns);
    await until(
      "store equal to a fresh list after restart",
      () => sameContent(storeView(informer.store.list()), fresh),
      60_000,
    );
    ac.abort();
    await running;
  } finally {
    ac.abort();
    await plane.stop();
  }
});
