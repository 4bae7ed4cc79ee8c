import assert from "node:assert/strict";
import { forgetOnceCached, RecentWrites } from "../../../src/controller/mod.ts";
import { Informer } from "../../../src/runtime/mod.ts";
import { cm, FakeClient, watchBody } from "../runtime/_fake_client.ts";
import { FakeClock } from "../../../src/runtime/testing.ts";

const obj = (rv: string, uid = "u1") => ({
  kind: "Service",
  metadata: { name: "a", namespace: "n", resourceVersion: rv, uid },
});

Deno.test("a write is preferred over a cache that does not have the object yet, for the TTL only", async () => {
  const clock = new FakeClock();
  const w = new RecentWrites({ clock, ttlMs: 1000 });
  w.record("Service", obj("10"));
  assert.equal(w.newest("Service", "n", "a", undefined)?.metadata?.resourceVersion, "10");
  await clock.advance(1000);
  assert.equal(w.newest("Service", "n", "a", undefined), undefined);
  assert.equal(w.size, 0);
});

Deno.test("a write is preferred over an older cached version and forgotten once the cache catches up", () => {
  const w = new RecentWrites();
  w.record("Service", obj("10"));
  assert.equal(w.newest("Service", "n", "a", obj("9"))?.metadata?.resourceVersion, "10");
  assert.equal(w.newest("Service", "n", "a", obj("10"))?.metadata?.resourceVersion, "10");
  assert.equal(w.size, 0);
  assert.equal(w.newest("Service", "n", "a", obj("9"))?.metadata?.resourceVersion, "9");
});

Deno.test("a cached object with another UID or a non-numeric version wins over the write", () => {
  const w = new RecentWrites();
  w.record("Service", obj("10"));
  assert.equal(w.newest("Service", "n", "a", obj("5", "u2"))?.metadata?.uid, "u2");
  w.record("Service", obj("10"));
  assert.equal(w.newest("Service", "n", "a", obj("abc"))?.metadata?.resourceVersion, "abc");
});

Deno.test("forget drops a write so a deleted object is not resurrected from memory", () => {
  const w = new RecentWrites();
  w.record("Service", obj("10"));
  w.forget("Service", "n", "a");
  assert.equal(w.newest("Service", "n", "a", undefined), undefined);
});

Deno.test("a write is forgotten as soon as a cache holds its version, with no lookup needed", () => {
  const w = new RecentWrites();
  w.record("Service", obj("10"));
  w.observed("Service", obj("9"));
  assert.equal(w.size, 1, "the cache is still older: the write stands in");
  w.observed("Service", obj("10"));
  assert.equal(w.size, 0);
  w.record("Service", obj("12"));
  w.observed("Service", obj("13", "u2")); // recreated by someone else: trust the cache
  assert.equal(w.size, 0);
});

Deno.test("a write is remembered as the caches hold it, without managedFields, and the answer is left whole", () => {
  const w = new RecentWrites();
  const answer = {
    ...obj("10"),
    metadata: { ...obj("10").metadata, managedFields: [{ manager: "vigil" }] },
  };
  w.record("Service", answer);
  assert.equal(w.newest("Service", "n", "a", undefined)?.metadata?.managedFields, undefined);
  assert.equal(answer.metadata.managedFields.length, 1);
});

// At 1,000 Databases each status write's answer was held until the
// Database's next reconcile, which a status-only change never brings.
Deno.test("an informer's adds, updates and deletes forget the writes its cache has caught up with", async () => {
  const clock = new FakeClock();
  const w = new RecentWrites({ clock });
  w.record("ConfigMap", cm("a", "4"));
  w.record("ConfigMap", cm("b", "7"));
  w.record("ConfigMap", cm("c", "9"));
  const client = new FakeClient(() => clock.now(), [() => ({
    kind: "ConfigMapList",
    metadata: { resourceVersion: "2" },
    items: [cm("a", "1"), cm("c", "2")],
  })], [
    (_c, s) =>
      watchBody([
        { type: "MODIFIED", object: cm("a", "4") },
        { type: "ADDED", object: cm("b", "3") },
        { type: "DELETED", object: cm("c", "10") },
      ], s),
  ]);
  const informer = new Informer(
    client,
    { group: "", version: "v1", plural: "configmaps", namespaced: true },
    { clock, streamingList: false },
  );
  informer.addEventHandler(forgetOnceCached(w, "ConfigMap"));
  const ac = new AbortController();
  const running = informer.start(ac.signal);
  assert.equal(await informer.waitForSync(ac.signal), true);
  await clock.advance(0);
  // a: the cache reached the written version; c: deleted after it; b: still behind.
  assert.equal(w.size, 1);
  assert.equal(w.newest("ConfigMap", "ns", "b", cm("b", "3"))?.metadata?.resourceVersion, "7");
  ac.abort();
  await running;
});
