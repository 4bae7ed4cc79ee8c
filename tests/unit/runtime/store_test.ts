import assert from "node:assert/strict";
import {
  CONTROLLER_UID_INDEX,
  DeletedFinalStateUnknown,
  Informer,
  type KubeObject,
  NAMESPACE_INDEX,
  Reflector,
  Writer,
} from "../../../src/runtime/mod.ts";
import { FakeClock } from "../../../src/runtime/testing.ts";
import { cm, FakeClient, watchBody } from "./_fake_client.ts";

const owned = (name: string, uid: string, controller = true) =>
  cm(name, "1", {
    ownerReferences: [{ apiVersion: "v1", kind: "Owner", name: "o", uid, controller }],
  });

Deno.test("store indexes by namespace, controller owner UID and custom indexers", () => {
  const w = new Writer<KubeObject>({
    indexers: {
      byApp: (o) => (o.metadata?.labels?.app === undefined ? [] : [o.metadata.labels.app]),
    },
  });
  w.apply(owned("a", "u1"));
  w.apply(owned("b", "u1", false));
  w.apply({ metadata: { name: "c", namespace: "other", labels: { app: "x" } } });
  const s = w.reader();
  assert.deepEqual(s.byIndex(NAMESPACE_INDEX, "ns").map((o) => o.metadata?.name).sort(), [
    "a",
    "b",
  ]);
  assert.deepEqual(s.byIndex(CONTROLLER_UID_INDEX, "u1").map((o) => o.metadata?.name), ["a"]);
  assert.deepEqual(s.byIndex("byApp", "x").map((o) => o.metadata?.name), ["c"]);
  assert.throws(() => s.byIndex("nope", "x"), RangeError);
});

Deno.test("store updates indexes when an object changes or goes", () => {
  const w = new Writer<KubeObject>();
  w.apply(owned("a", "u1"));
  w.apply(owned("a", "u2"));
  const s = w.reader();
  assert.equal(s.byIndex(CONTROLLER_UID_INDEX, "u1").length, 0);
  assert.equal(s.byIndex(CONTROLLER_UID_INDEX, "u2").length, 1);
  w.delete("ns/a");
  assert.equal(s.byIndex(CONTROLLER_UID_INDEX, "u2").length, 0);
  assert.equal(s.size, 0);
  assert.equal(s.get("ns/a"), undefined);
});

Deno.test("reflector strips managedFields before caching by default", () => {
  const w = new Writer<KubeObject>();
  const r = new Reflector(w);
  r.apply({ type: "apply", obj: cm("a", "1", { managedFields: [{ manager: "kubectl" }] }) });
  assert.equal(w.reader().get("ns/a")?.metadata?.managedFields, undefined);
  const keep = new Writer<KubeObject>();
  new Reflector(keep, { transform: (o) => o }).apply({
    type: "apply",
    obj: cm("a", "1", { managedFields: [{}] }),
  });
  assert.equal(keep.reader().get("ns/a")?.metadata?.managedFields?.length, 1);
});

Deno.test("reflector replaces the store on relist and tombstones objects the relist lacks", () => {
  const w = new Writer<KubeObject>();
  const r = new Reflector(w);
  r.apply({ type: "init" });
  r.apply({ type: "initApply", obj: cm("a", "1") });
  r.apply({ type: "initApply", obj: cm("b", "2") });
  const first = r.apply({ type: "initDone" });
  assert.deepEqual(first.map((d) => d.type === "add" && d.isInInitialList), [true, true]);
  assert.equal(r.synced, true);
  r.apply({ type: "init" });
  r.apply({ type: "initApply", obj: cm("b", "3") });
  r.apply({ type: "initApply", obj: cm("c", "4") });
  assert.equal(w.reader().size, 2, "the old content stays until initDone");
  const deltas = r.apply({ type: "initDone" });
  assert.deepEqual(deltas.map((d) => d.type), ["update", "add", "delete"]);
  const tomb = deltas[2]!;
  assert.ok(tomb.type === "delete" && tomb.obj instanceof DeletedFinalStateUnknown);
  assert.equal((tomb.obj as DeletedFinalStateUnknown<KubeObject>).key, "ns/a");
  assert.deepEqual(w.reader().keys().sort(), ["ns/b", "ns/c"]);
});

Deno.test("informer syncs, calls handlers in order and replays the cache to late handlers", async () => {
  const clock = new FakeClock();
  const list = () => ({
    kind: "ConfigMapList",
    metadata: { resourceVersion: "2" },
    items: [cm("a", "1")],
  });
  const client = new FakeClient(() => clock.now(), [list], [
    (_c, s) =>
      watchBody([
        { type: "ADDED", object: cm("b", "3") },
        { type: "MODIFIED", object: cm("a", "4") },
        { type: "DELETED", object: cm("b", "5") },
      ], s),
  ]);
  const informer = new Informer(
    client,
    { group: "", version: "v1", plural: "configmaps", namespaced: true },
    { clock, streamingList: false },
  );
  const seen: string[] = [];
  informer.addEventHandler({
    onAdd: (o, initial) => seen.push(`add:${o.metadata?.name}:${initial}`),
    onUpdate: (old, o) =>
      seen.push(`update:${old.metadata?.resourceVersion}->${o.metadata?.resourceVersion}`),
    onDelete: (o) => seen.push(`delete:${"key" in o ? o.key : o.metadata?.name}`),
  });
  informer.addEventHandler({
    onAdd: () => {
      throw new Error("a broken handler");
    },
  });
  const ac = new AbortController();
  const running = informer.start(ac.signal);
  assert.equal(await informer.waitForSync(ac.signal), true);
  await clock.advance(0);
  assert.deepEqual(seen, ["add:a:true", "add:b:false", "update:1->4", "delete:b"]);
  const late: string[] = [];
  informer.addEventHandler({ onAdd: (o) => late.push(o.metadata?.name ?? "") });
  assert.deepEqual(late, ["a"]);
  ac.abort();
  await running;
  await assert.rejects(informer.start(ac.signal), /already started/);
});

Deno.test("store freezes cached objects deeply, so a reader that mutates one gets a TypeError", () => {
  const w = new Writer<KubeObject>();
  w.apply(owned("a", "u1"));
  const s = w.reader();
  const got = s.get("ns/a")!;
  assert.throws(() => {
    got.metadata!.name = "b";
  }, TypeError);
  assert.throws(() => {
    got.metadata!.ownerReferences!.push({ apiVersion: "v1", kind: "X", name: "x", uid: "u2" });
  }, TypeError);
  assert.throws(() => {
    (got.metadata!.ownerReferences![0] as { uid: string }).uid = "u2";
  }, TypeError);
  for (const listed of [...s.list(), ...s.byIndex(CONTROLLER_UID_INDEX, "u1")]) {
    assert.throws(() => {
      listed.metadata!.labels = { changed: "yes" };
    }, TypeError);
  }
  assert.equal(s.get("ns/a")?.metadata?.name, "a");
  assert.deepEqual(s.byIndex(CONTROLLER_UID_INDEX, "u1").map((o) => o.metadata?.name), ["a"]);
  w.replace([cm("b", "2", { labels: { app: "x" } })]);
  assert.throws(() => {
    s.get("ns/b")!.metadata!.labels!.app = "y";
  }, TypeError);
});

Deno.test("informer hands its handlers the frozen objects it caches, deletes included", async () => {
  const clock = new FakeClock();
  const client = new FakeClient(() => clock.now(), [() => ({
    kind: "ConfigMapList",
    metadata: { resourceVersion: "2" },
    items: [cm("a", "1")],
  })], [
    (_c, s) =>
      watchBody([
        { type: "MODIFIED", object: cm("a", "3") },
        { type: "DELETED", object: cm("a", "4") },
      ], s),
  ]);
  const informer = new Informer(
    client,
    { group: "", version: "v1", plural: "configmaps", namespaced: true },
    { clock, streamingList: false },
  );
  const frozen: string[] = [];
  const check = (what: string, o: KubeObject) =>
    frozen.push(`${what}:${Object.isFrozen(o) && Object.isFrozen(o.metadata)}`);
  informer.addEventHandler({
    onAdd: (o) => check("add", o),
    onUpdate: (old, o) => {
      check("old", old);
      check("new", o);
    },
    onDelete: (o) => check("delete", o instanceof DeletedFinalStateUnknown ? o.obj : o),
  });
  const ac = new AbortController();
  const running = informer.start(ac.signal);
  await informer.waitForSync(ac.signal);
  await clock.advance(0);
  assert.deepEqual(frozen, ["add:true", "old:true", "new:true", "delete:true"]);
  ac.abort();
  await running;
});
