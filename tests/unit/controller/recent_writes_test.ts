import assert from "node:assert/strict";
import { RecentWrites } from "../../../src/controller/mod.ts";
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
