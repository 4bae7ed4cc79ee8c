import assert from "node:assert/strict";
import {
  errorFromResponse,
  InvalidError,
  NetworkError,
  TooManyRequestsError,
} from "../../../src/kube/mod.ts";
import { Backoff, Watcher, type WatchEvent } from "../../../src/runtime/mod.ts";
import { FakeClock, flush } from "../../../src/runtime/testing.ts";
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

// --- Resource versions the server refuses (issue 10 items 6 and 9) ---

const INITIAL_END = {
  type: "BOOKMARK",
  object: {
    kind: "ConfigMap",
    metadata: { resourceVersion: "30", annotations: { "k8s.io/initial-events-end": "true" } },
  },
};
const endBookmark = (rv: string) => ({
  ...INITIAL_END,
  object: {
    ...INITIAL_END.object,
    metadata: { ...INITIAL_END.object.metadata, resourceVersion: rv },
  },
});
const WATCH_TARGET = { method: "GET", path: "/api/v1/configmaps" };
/** The Status a 1.37 apiserver answers for a resourceVersion newer than it has (recorded on the plane). */
const TOO_LARGE = {
  kind: "Status",
  apiVersion: "v1",
  status: "Failure",
  message: "Timeout: Too large resource version: 99, current: 10",
  reason: "Timeout",
  details: {
    causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
    retryAfterSeconds: 1,
  },
  code: 504,
};
/** The same answer from apiservers before 1.17, which named the cause only in the message. */
const TOO_LARGE_OLD = {
  kind: "Status",
  status: "Failure",
  message: "Too large resource version: 99, current: 10",
  reason: "Timeout",
  code: 504,
};
const GONE = { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" };
const refuse = (status: typeof TOO_LARGE | typeof TOO_LARGE_OLD | typeof GONE) => () => {
  throw errorFromResponse(status.code, status, WATCH_TARGET);
};
const requests = (client: FakeClient) => client.calls.filter((c) => c.kind === "request");
const streams = (client: FakeClient) => client.calls.filter((c) => c.kind === "stream");

Deno.test("a watch refused as 'too large resource version' relists after the backoff, from scratch once the relist is refused too", async () => {
  const clock = new FakeClock();
  const client = new FakeClient(
    () => clock.now(),
    [list([cm("a", "99")], "99"), refuse(TOO_LARGE), list([cm("b", "10")], "10")],
    [refuse(TOO_LARGE)],
  );
  const w = new Watcher(client, CONFIGMAPS, { clock, random: () => 0, streamingList: false });
  const ac = new AbortController();
  const r = run(w, ac.signal);
  await clock.advance(799);
  assert.equal(requests(client).length, 1, "the apiserver may catch up during the backoff");
  await clock.advance(1);
  const [, atLast, fromScratch] = requests(client);
  assert.equal(atLast?.query.resourceVersion, "99");
  assert.equal(atLast?.query.resourceVersionMatch, "NotOlderThan");
  assert.equal(fromScratch?.query.resourceVersion, undefined, "a consistent read");
  assert.equal(fromScratch!.at, atLast!.at, "at once");
  assert.equal(streams(client).at(-1)?.query.resourceVersion, "10");
  assert.deepEqual(r.events, [
    "init",
    "initApply:a",
    "initDone",
    "init",
    "initApply:b",
    "initDone",
  ]);
  ac.abort();
  await r.done;
});

Deno.test("watcher relists on a watch ERROR event naming a too large resource version only in its message", async () => {
  const clock = new FakeClock();
  const client = new FakeClient(
    () => clock.now(),
    [list([], "99"), refuse(TOO_LARGE_OLD), list([], "10")],
    [(_c, s) => watchBody([{ type: "ERROR", object: TOO_LARGE_OLD }], s)],
  );
  const w = new Watcher(client, CONFIGMAPS, { clock, random: () => 0, streamingList: false });
  const ac = new AbortController();
  const r = run(w, ac.signal);
  await clock.advance(800);
  assert.equal(requests(client).length, 3);
  assert.equal(requests(client)[1]?.query.resourceVersion, "99");
  assert.equal(requests(client)[2]?.query.resourceVersion, undefined);
  assert.equal(streams(client).at(-1)?.query.resourceVersion, "10");
  ac.abort();
  await r.done;
});

Deno.test("after a 410 the watcher relists at its last resourceVersion, not older than it, as client-go does", async () => {
  const clock = new FakeClock();
  const gone = { type: "ERROR", object: GONE };
  const client = new FakeClient(
    () => clock.now(),
    [
      list([cm("a", "1")], "10", "tok"),
      list([], "10"),
      list([cm("a", "12")], "40", "tok2"),
      list([], "40"),
    ],
    [(_c, s) => watchBody([{ type: "MODIFIED", object: cm("a", "11") }, gone], s)],
  );
  const w = new Watcher(client, CONFIGMAPS, { clock, streamingList: false, pageSize: 1 });
  const ac = new AbortController();
  const r = run(w, ac.signal);
  await clock.advance(0);
  const [first, , relist, nextPage] = requests(client);
  assert.equal(first?.query.resourceVersion, undefined, "the first list is a consistent read");
  assert.equal(relist?.query.resourceVersion, "11");
  assert.equal(relist?.query.resourceVersionMatch, "NotOlderThan");
  assert.equal(relist?.query.limit, 1);
  assert.equal(nextPage?.query.continue, "tok2");
  assert.equal(nextPage?.query.resourceVersion, undefined, "a continue token carries its own");
  assert.equal(nextPage?.query.resourceVersionMatch, undefined);
  assert.equal(streams(client).at(-1)?.query.resourceVersion, "40");
  assert.deepEqual(r.events.slice(-3), ["init", "initApply:a", "initDone"]);
  ac.abort();
  await r.done;
});

for (const [name, status] of [["is gone too", GONE], ["is too large", TOO_LARGE]] as const) {
  Deno.test(`a relist at the last resourceVersion that ${name} is retried at once from scratch`, async () => {
    const clock = new FakeClock();
    const client = new FakeClient(
      () => clock.now(),
      [list([cm("a", "1")], "10"), refuse(status), list([cm("b", "50")], "50")],
      [(_c, s) => watchBody([{ type: "ERROR", object: GONE }], s)],
    );
    const w = new Watcher(client, CONFIGMAPS, { clock, streamingList: false });
    const ac = new AbortController();
    const r = run(w, ac.signal);
    await clock.advance(0);
    const lists = requests(client);
    assert.equal(lists.length, 3);
    assert.equal(lists[1]?.query.resourceVersion, "10");
    assert.equal(lists[2]?.query.resourceVersion, undefined);
    assert.equal(lists[2]?.query.resourceVersionMatch, undefined);
    assert.equal(lists[2]!.at, lists[1]!.at, "no backoff before the consistent read");
    assert.deepEqual(r.events.slice(-3), ["init", "initApply:b", "initDone"]);
    // A later 410 relists at the newest resourceVersion again.
    assert.equal(streams(client).at(-1)?.query.resourceVersion, "50");
    ac.abort();
    await r.done;
  });
}

Deno.test("after a 410 a streaming relist asks for the last resourceVersion, and from scratch if that is too large", async () => {
  const clock = new FakeClock();
  const client = new FakeClient(() => clock.now(), [], [
    (_c, s) => watchBody([{ type: "ADDED", object: cm("a", "5") }, endBookmark("20")], s, true),
    (_c, s) => watchBody([{ type: "ERROR", object: GONE }], s),
    (_c, s) => watchBody([{ type: "ERROR", object: TOO_LARGE }], s),
    (_c, s) => watchBody([{ type: "ADDED", object: cm("b", "8") }, endBookmark("30")], s),
  ]);
  const w = new Watcher(client, CONFIGMAPS, { clock });
  const ac = new AbortController();
  const r = run(w, ac.signal);
  await clock.advance(0);
  const [initial, rewatch, atLast, fromScratch] = streams(client);
  assert.equal(initial?.query.resourceVersion, undefined);
  assert.equal(rewatch?.query.resourceVersion, "20");
  assert.equal(rewatch?.query.sendInitialEvents, undefined);
  assert.equal(atLast?.query.sendInitialEvents, "true");
  assert.equal(atLast?.query.resourceVersionMatch, "NotOlderThan");
  assert.equal(atLast?.query.resourceVersion, "20");
  assert.equal(fromScratch?.query.sendInitialEvents, "true");
  assert.equal(fromScratch?.query.resourceVersion, undefined);
  assert.equal(fromScratch!.at, atLast!.at, "no backoff before the consistent read");
  assert.deepEqual(r.events.slice(-4), ["init", "init", "initApply:b", "initDone"]);
  assert.equal(w.streamingList, true);
  ac.abort();
  await r.done;
});

// --- Streaming lists cut short (issue 10 item 9) ---

Deno.test("a streaming list cut short by a clean end of stream is retried as a streaming list", async () => {
  const clock = new FakeClock();
  const client = new FakeClient(() => clock.now(), [], [
    // An apiserver shutting down closes its watches cleanly, end marker or not.
    (_c, s) => watchBody([{ type: "ADDED", object: cm("a", "5") }], s, true),
    (_c, s) => watchBody([{ type: "ADDED", object: cm("a", "5") }, endBookmark("9")], s),
  ]);
  const w = new Watcher(client, CONFIGMAPS, { clock, random: () => 0 });
  const ac = new AbortController();
  const r = run(w, ac.signal);
  await clock.advance(0);
  assert.equal(streams(client).length, 1, "the retry waits for the backoff");
  await clock.advance(800);
  assert.equal(w.streamingList, true);
  assert.equal(requests(client).length, 0, "no paginated list");
  const retry = streams(client)[1];
  assert.equal(retry?.query.sendInitialEvents, "true");
  assert.equal(retry?.query.resourceVersion, undefined);
  assert.deepEqual(r.events, ["init", "initApply:a", "init", "initApply:a", "initDone"]);
  ac.abort();
  await r.done;
});

Deno.test("a streaming relist broken by a network error is retried at the same last resourceVersion", async () => {
  const clock = new FakeClock();
  const broken = (events: unknown[]) => (_c: unknown, s: AbortSignal | undefined) => {
    const body = watchBody(events, s);
    const reader = body.getReader();
    let sent = 0;
    return new ReadableStream<Uint8Array>({
      async pull(c) {
        if (sent++ === events.length) {
          c.error(new TypeError("error reading a body from connection"));
          return;
        }
        const { value } = await reader.read();
        c.enqueue(value!);
      },
      cancel: (reason) => reader.cancel(reason),
    });
  };
  const client = new FakeClient(() => clock.now(), [], [
    (_c, s) => watchBody([endBookmark("20")], s, true),
    (_c, s) => watchBody([{ type: "ERROR", object: GONE }], s),
    // Initial events come in no resourceVersion order: "3" must not become the last one known.
    broken([{ type: "ADDED", object: cm("a", "3") }]),
    (_c, s) => watchBody([{ type: "ADDED", object: cm("a", "3") }, endBookmark("25")], s),
  ]);
  const w = new Watcher(client, CONFIGMAPS, { clock, random: () => 0 });
  const ac = new AbortController();
  const r = run(w, ac.signal);
  await clock.advance(800);
  const [, , brokenRelist, retry] = streams(client);
  assert.equal(brokenRelist?.query.resourceVersion, "20");
  assert.equal(retry?.query.sendInitialEvents, "true");
  assert.equal(retry?.query.resourceVersion, "20");
  assert.deepEqual(r.events.slice(-3), ["init", "initApply:a", "initDone"]);
  ac.abort();
  await r.done;
});

Deno.test("a streaming list that runs its whole server timeout without an end marker switches to paginated lists", async () => {
  const clock = new FakeClock();
  const client = new FakeClient(() => clock.now(), [list([cm("a", "1")], "3")], [
    // A server that ignores sendInitialEvents: plain ADDED events, bookmarks without the marker.
    (_c, s) => {
      const body = watchBody([{ type: "ADDED", object: cm("a", "1") }], s);
      const reader = body.getReader();
      return new ReadableStream<Uint8Array>({
        async pull(c) {
          const { value, done } = await reader.read();
          if (done) return c.close();
          c.enqueue(value);
          // Close once the timeout the watcher asked for has passed.
          await clock.sleep(400_000);
          c.close();
        },
        cancel: (reason) => reader.cancel(reason),
      });
    },
  ]);
  const w = new Watcher(client, CONFIGMAPS, {
    clock,
    random: () => 0,
    minWatchTimeoutSeconds: 300,
    inactivityTimeoutMs: 1_000_000,
  });
  const ac = new AbortController();
  const r = run(w, ac.signal);
  await clock.advance(400_000);
  assert.equal(w.streamingList, false);
  assert.equal(requests(client).length, 1);
  assert.deepEqual(r.events.slice(-3), ["init", "initApply:a", "initDone"]);
  ac.abort();
  await r.done;
});

// --- Dead connections (issue 10 item 7) ---

Deno.test("a watch whose connection breaks is re-opened after the backoff, not after the inactivity timeout", async () => {
  const clock = new FakeClock();
  const client = new FakeClient(() => clock.now(), [list([], "4")], [
    () =>
      new ReadableStream<Uint8Array>({
        start: (c) => c.error(new TypeError("error reading a body from connection")),
      }),
  ]);
  const w = new Watcher(client, CONFIGMAPS, { clock, random: () => 0, streamingList: false });
  const ac = new AbortController();
  const r = run(w, ac.signal);
  await clock.advance(800);
  const watches = streams(client);
  assert.equal(watches.length, 2);
  assert.equal(watches[1]!.at - watches[0]!.at, 800);
  assert.equal(watches[1]?.query.resourceVersion, "4");
  ac.abort();
  await r.done;
});

Deno.test("a watch the server ends at its timeout is re-opened at once from the last resourceVersion", async () => {
  const clock = new FakeClock();
  const client = new FakeClient(() => clock.now(), [list([], "4")], [
    (_c, s) => {
      const body = watchBody([{ type: "MODIFIED", object: cm("a", "6") }], s);
      const reader = body.getReader();
      let first = true;
      return new ReadableStream<Uint8Array>({
        async pull(c) {
          if (!first) {
            await clock.sleep(Number(_c.query.timeoutSeconds) * 1000);
            return c.close();
          }
          first = false;
          c.enqueue((await reader.read()).value!);
        },
        cancel: (reason) => reader.cancel(reason),
      });
    },
  ]);
  const w = new Watcher(client, CONFIGMAPS, {
    clock,
    random: () => 0.5,
    streamingList: false,
    inactivityTimeoutMs: 1_000_000,
  });
  const ac = new AbortController();
  const r = run(w, ac.signal);
  await clock.advance(450_000);
  const watches = streams(client);
  assert.equal(watches[0]?.query.timeoutSeconds, 450, "5 min × (1 + random)");
  assert.equal(watches.length, 2);
  assert.equal(watches[1]!.at - watches[0]!.at, 450_000);
  assert.equal(watches[1]?.query.resourceVersion, "6");
  ac.abort();
  await r.done;
});
