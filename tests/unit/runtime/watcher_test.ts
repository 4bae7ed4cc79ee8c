import assert from "node:assert/strict";
import { InvalidError, NetworkError, TooManyRequestsError } from "../../../src/kube/mod.ts";
import { Backoff, FakeClock, flush, Watcher, type WatchEvent } from "../../../src/runtime/mod.ts";
import { cm, FakeClient, watchBody } from "./_fake_client.ts";

const CONFIGMAPS = { group: "", version: "v1", plural: "configmaps", namespaced: true };
const list = (items: unknown[], rv: string, cont?: string) => () => ({
  kind: "ConfigMapList",
  metadata: { resourceVersion: rv, ...(cont === undefined ? {} : { continue: cont }) },
  items,
});

function run(watcher: Watcher, signal: AbortSignal) {
  const events: string[] = [];
  const done = (async () => {
    for await (const e of watcher.events(signal)) events.push(describe(e));
  })();
  return { events, done };
}

function describe(e: WatchEvent<{ metadata?: { name?: string } }>): string {
  return "obj" in e ? `${e.type}:${e.obj.metadata?.name}` : e.type;
}

Deno.test("backoff grows from 800 ms doubling to a 30 s cap and resets after 2 healthy minutes", async () => {
  const clock = new FakeClock();
  const b = new Backoff({ clock, random: () => 0 });
  const seen = Array.from({ length: 8 }, () => b.next());
  assert.deepEqual(seen, [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
  await clock.advance(120_001);
  assert.equal(b.next(), 800);
  const jittered = new Backoff({ clock, random: () => 0.5 });
  assert.equal(jittered.next(), 1200, "jitter 1.0 adds up to the delay itself");
});

Deno.test("watcher retries a failing list with jittered exponential backoff", async () => {
  const clock = new FakeClock();
  const fail = () => {
    throw new NetworkError("down", { status: 0 });
  };
  const client = new FakeClient(
    () => clock.now(),
    [fail, fail, fail, list([cm("a", "5")], "5")],
    [],
  );
  const w = new Watcher(client, CONFIGMAPS, { clock, random: () => 0, streamingList: false });
  const ac = new AbortController();
  const r = run(w, ac.signal);
  await clock.advance(10_000);
  const t0 = client.calls[0]!.at;
  assert.deepEqual(
    client.calls.filter((c) => c.kind === "request").map((c) => c.at - t0),
    [0, 800, 2400, 5600],
  );
  assert.deepEqual(r.events, ["init", "initApply:a", "initDone"]);
  const watch = client.calls.find((c) => c.kind === "stream")!;
  assert.equal(watch.query.resourceVersion, "5");
  assert.equal(watch.query.allowWatchBookmarks, "true");
  assert.ok(Number(watch.query.timeoutSeconds) >= 300 && Number(watch.query.timeoutSeconds) < 600);
  ac.abort();
  await r.done;
});

Deno.test("watcher honours a 429's Retry-After when it is longer than the backoff", async () => {
  const clock = new FakeClock();
  const throttled = () => {
    throw new TooManyRequestsError("slow down", { status: 429, retryAfterSeconds: 5 });
  };
  const client = new FakeClient(() => clock.now(), [throttled, list([], "1")], []);
  const w = new Watcher(client, CONFIGMAPS, { clock, random: () => 0, streamingList: false });
  const ac = new AbortController();
  const r = run(w, ac.signal);
  await clock.advance(4_999);
  assert.equal(client.calls.length, 1);
  await clock.advance(1);
  assert.equal(client.calls[1]?.kind, "request");
  ac.abort();
  await r.done;
});

Deno.test("watcher relists after a 410 watch ERROR event and frames the relist", async () => {
  const clock = new FakeClock();
  const gone = { type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired" } };
  const client = new FakeClient(
    () => clock.now(),
    [list([cm("a", "1"), cm("b", "2")], "10"), list([cm("b", "3")], "20")],
    [(_c, s) => watchBody([{ type: "MODIFIED", object: cm("a", "11") }, gone], s)],
  );
  const w = new Watcher(client, CONFIGMAPS, { clock, streamingList: false });
  const ac = new AbortController();
  const r = run(w, ac.signal);
  await flush();
  await clock.advance(0);
  assert.deepEqual(r.events, [
    "init",
    "initApply:a",
    "initApply:b",
    "initDone",
    "apply:a",
    "init",
    "initApply:b",
    "initDone",
  ]);
  const lastWatch = client.calls.filter((c) => c.kind === "stream").at(-1)!;
  assert.equal(lastWatch.query.resourceVersion, "20");
  ac.abort();
  await r.done;
});

Deno.test("watcher pages lists with limit and continue", async () => {
  const clock = new FakeClock();
  const client = new FakeClient(
    () => clock.now(),
    [list([cm("a", "1")], "9", "tok"), list([cm("b", "2")], "9")],
    [],
  );
  const w = new Watcher(client, CONFIGMAPS, { clock, streamingList: false, pageSize: 1 });
  const ac = new AbortController();
  const r = run(w, ac.signal);
  await clock.advance(0);
  const [p1, p2] = client.calls;
  assert.equal(p1?.query.limit, 1);
  assert.equal(p2?.query.continue, "tok");
  assert.deepEqual(r.events, ["init", "initApply:a", "initApply:b", "initDone"]);
  ac.abort();
  await r.done;
});

Deno.test("watcher uses a streaming list and ends it at the initial-events-end bookmark", async () => {
  const clock = new FakeClock();
  const bookmark = {
    type: "BOOKMARK",
    object: {
      kind: "ConfigMap",
      metadata: { resourceVersion: "7", annotations: { "k8s.io/initial-events-end": "true" } },
    },
  };
  const client = new FakeClient(() => clock.now(), [], [
    (_c, s) =>
      watchBody([
        { type: "ADDED", object: cm("a", "5") },
        { type: "ADDED", object: cm("b", "6") },
        bookmark,
        { type: "MODIFIED", object: cm("a", "8") },
      ], s),
  ]);
  const w = new Watcher(client, CONFIGMAPS, { clock });
  const ac = new AbortController();
  const r = run(w, ac.signal);
  await clock.advance(0);
  assert.equal(client.calls[0]?.query.sendInitialEvents, "true");
  assert.equal(client.calls[0]?.query.resourceVersionMatch, "NotOlderThan");
  assert.deepEqual(r.events, ["init", "initApply:a", "initApply:b", "initDone", "apply:a"]);
  ac.abort();
  await r.done;
});

Deno.test("watcher falls back to a paginated list when the server refuses a streaming list", async () => {
  const clock = new FakeClock();
  const refuse = () => {
    throw new InvalidError("sendInitialEvents is forbidden", { status: 422 });
  };
  const client = new FakeClient(() => clock.now(), [list([cm("a", "1")], "3")], [refuse]);
  const w = new Watcher(client, CONFIGMAPS, { clock });
  const ac = new AbortController();
  const r = run(w, ac.signal);
  await clock.advance(0);
  assert.deepEqual(r.events, ["init", "initApply:a", "initDone"]);
  assert.equal(w.streamingList, false);
  ac.abort();
  await r.done;
});

Deno.test("watcher restarts a watch that stays silent past the inactivity timeout", async () => {
  const clock = new FakeClock();
  const client = new FakeClient(() => clock.now(), [list([], "4")], []);
  const w = new Watcher(client, CONFIGMAPS, {
    clock,
    streamingList: false,
    inactivityTimeoutMs: 60_000,
  });
  const ac = new AbortController();
  const r = run(w, ac.signal);
  await clock.advance(59_999);
  assert.equal(client.calls.filter((c) => c.kind === "stream").length, 1);
  await clock.advance(1);
  const watches = client.calls.filter((c) => c.kind === "stream");
  assert.equal(watches.length, 2);
  assert.equal(watches[1]?.query.resourceVersion, "4");
  ac.abort();
  await r.done;
});
