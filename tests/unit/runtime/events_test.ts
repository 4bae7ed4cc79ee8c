import assert from "node:assert/strict";
import { InternalServerError, NotFoundError, type RequestOptions } from "../../../src/kube/mod.ts";
import { type CoreEvent, EventCorrelator, EventRecorder } from "../../../src/runtime/mod.ts";
import { FakeClock } from "../../../src/runtime/testing.ts";
import "./_fake_client.ts";

function ev(message: string, reason = "Scaled", name = "db1"): CoreEvent {
  return {
    metadata: { name: `${name}.abc`, namespace: "ns" },
    involvedObject: { kind: "Thing", namespace: "ns", name, uid: `uid-${name}` },
    reason,
    message,
    type: "Normal",
    source: { component: "vigil" },
    firstTimestamp: "2026-01-01T00:00:00Z",
    lastTimestamp: "2026-01-01T00:00:00Z",
    count: 1,
  };
}

Deno.test("correlator turns 10 identical events into one create and patches up to count 10", () => {
  const c = new EventCorrelator({ clock: new FakeClock() });
  const results = Array.from({ length: 10 }, () => c.correlate(ev("same")));
  assert.equal(results[0]?.action, "create");
  assert.ok(results.slice(1).every((r) => r.action === "patch"));
  const last = results[9]!;
  assert.ok(last.action === "patch");
  assert.equal(last.patch.count, 10);
  assert.equal(last.event.metadata.name, "db1.abc");
});

Deno.test("correlator aggregates the 10th similar event with a different message", () => {
  const c = new EventCorrelator({ clock: new FakeClock() });
  for (let i = 1; i <= 9; i++) assert.equal(c.correlate(ev(`msg ${i}`)).action, "create");
  const tenth = c.correlate(ev("msg 10"));
  assert.ok(tenth.action === "create");
  assert.equal(tenth.event.message, "(combined from similar events): msg 10");
  const eleventh = c.correlate(ev("msg 11"));
  assert.ok(eleventh.action === "patch");
  assert.equal(eleventh.patch.count, 2);
  assert.equal(eleventh.patch.message, "(combined from similar events): msg 11");
  assert.equal(
    c.correlate(ev("other", "Failed")).action,
    "create",
    "another reason is not similar",
  );
});

Deno.test("correlator starts aggregation over after 10 quiet minutes", async () => {
  const clock = new FakeClock();
  const c = new EventCorrelator({ clock });
  for (let i = 1; i <= 9; i++) c.correlate(ev(`msg ${i}`));
  await clock.advance(600_001);
  const next = c.correlate(ev("msg 10"));
  assert.ok(next.action === "create");
  assert.equal(next.event.message, "msg 10");
});

Deno.test("spam filter allows a burst of 25 per object then one per 5 minutes", async () => {
  const clock = new FakeClock();
  const c = new EventCorrelator({ clock });
  const actions = Array.from({ length: 30 }, (_, i) => c.correlate(ev(`m${i % 5}`)).action);
  assert.equal(actions.filter((a) => a !== "skip").length, 25);
  assert.notEqual(c.correlate(ev("x", "Other", "db2")).action, "skip", "the bucket is per object");
  await clock.advance(299_000);
  assert.equal(c.correlate(ev("m1")).action, "skip");
  await clock.advance(1_000);
  assert.notEqual(c.correlate(ev("m1")).action, "skip");
});

Deno.test("recorder writes 10 identical events as one Event with count 10", async () => {
  const requests: Array<{ method: string; path: string; body: unknown }> = [];
  const client = {
    request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
      requests.push({ method, path, body: options.body });
      const body = options.body as CoreEvent;
      return Promise.resolve({ ...body, metadata: { name: "db1.server", namespace: "ns" } } as T);
    },
  };
  const recorder = new EventRecorder(client, { component: "vigil", clock: new FakeClock() });
  const obj = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "db1", namespace: "ns", uid: "u" },
  };
  for (let i = 0; i < 10; i++) recorder.event(obj, "Normal", "Synced", "all good");
  assert.equal(recorder.pending, 10);
  await recorder.flush();
  assert.deepEqual(requests.map((r) => r.method), ["POST", ...Array(9).fill("PATCH")]);
  assert.equal(requests[1]?.path, "/api/v1/namespaces/ns/events/db1.server");
  assert.equal((requests[9]?.body as { count: number }).count, 10);
});

Deno.test("recorder never throws or blocks the caller when the apiserver fails", async () => {
  const client = {
    request<T>(): Promise<T> {
      return Promise.reject(new InternalServerError("boom", { status: 500 }));
    },
  };
  const recorder = new EventRecorder(client, { component: "vigil", queueSize: 2 });
  const obj = { metadata: { name: "x", namespace: "ns" } };
  for (let i = 0; i < 5; i++) recorder.event(obj, "Warning", "Failed", `m${i}`);
  assert.equal(recorder.pending, 2, "the queue is bounded");
  const ac = new AbortController();
  const running = recorder.start(ac.signal);
  while (recorder.pending > 0) await new Promise((r) => setTimeout(r, 0));
  ac.abort();
  await running;
});

Deno.test("spam filter keeps a bucket per event type, so 25 Normal events do not silence a Warning", () => {
  const c = new EventCorrelator({ clock: new FakeClock() });
  for (let i = 0; i < 25; i++) assert.notEqual(c.correlate(ev("same")).action, "skip");
  assert.equal(c.correlate(ev("same")).action, "skip", "the Normal bucket is empty");
  const warning: CoreEvent = { ...ev("backup failed", "BackupFailed"), type: "Warning" };
  assert.equal(c.correlate(warning).action, "create");
});

Deno.test("correlator aggregates only events of the same reporting instance", () => {
  const c = new EventCorrelator({ clock: new FakeClock() });
  const from = (instance: string, message: string): CoreEvent => ({
    ...ev(message),
    reportingComponent: "vigil",
    reportingInstance: instance,
  });
  for (let i = 1; i <= 9; i++) {
    assert.equal(c.correlate(from("pod-a", `msg ${i}`)).action, "create");
  }
  const other = c.correlate(from("pod-b", "msg 10"));
  assert.ok(other.action === "create");
  assert.equal(other.event.message, "msg 10", "another instance's event is not folded in");
  const tenth = c.correlate(from("pod-a", "msg 10"));
  assert.ok(tenth.action === "create");
  assert.equal(tenth.event.message, "(combined from similar events): msg 10");
});

Deno.test("correlator forgets a key whose write failed, so its next repeat creates the Event", () => {
  const c = new EventCorrelator({ clock: new FakeClock() });
  const first = c.correlate(ev("same"));
  assert.ok(first.action === "create");
  c.update(first.key, undefined);
  assert.equal(c.correlate(ev("same")).action, "create");
});

/** A client that stores created Events by name and fails as told. */
function eventServer(fail: (method: string) => Error | undefined = () => undefined) {
  const stored = new Map<string, CoreEvent>();
  const methods: string[] = [];
  const client = {
    request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
      methods.push(method);
      const err = fail(method);
      if (err !== undefined) return Promise.reject(err);
      const body = options.body as CoreEvent;
      if (method === "POST") {
        stored.set(body.metadata.name, body);
        return Promise.resolve(body as T);
      }
      const name = decodeURIComponent(path.split("/").at(-1)!);
      const existing = stored.get(name);
      if (existing === undefined) {
        return Promise.reject(new NotFoundError(`events "${name}" not found`, { status: 404 }));
      }
      const patched = { ...existing, ...(options.body as object) };
      stored.set(name, patched);
      return Promise.resolve(patched as T);
    },
  };
  return { client, stored, methods };
}

const thing = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "db1", namespace: "ns" } };

Deno.test("recorder creates the Event anew after a failed write instead of patching one that does not exist", async () => {
  let failures = 1;
  const server = eventServer(() =>
    failures-- > 0 ? new InternalServerError("etcd timeout", { status: 500 }) : undefined
  );
  const recorder = new EventRecorder(server.client, { component: "vigil", clock: new FakeClock() });
  recorder.event(thing, "Normal", "Synced", "all good");
  recorder.event(thing, "Normal", "Synced", "all good");
  await recorder.flush();
  assert.deepEqual(server.methods, ["POST", "POST"]);
  assert.equal(server.stored.size, 1);
});

Deno.test("recorder flushes queued events when it stops", async () => {
  const server = eventServer();
  const recorder = new EventRecorder(server.client, { component: "vigil", clock: new FakeClock() });
  for (const reason of ["Created", "Scaled", "Ready"]) recorder.event(thing, "Normal", reason, "m");
  const stop = new AbortController();
  const running = recorder.start(stop.signal);
  stop.abort();
  await running;
  assert.deepEqual([...server.stored.values()].map((e) => e.reason), [
    "Created",
    "Scaled",
    "Ready",
  ]);
  assert.equal(recorder.pending, 0);
});

Deno.test("recorder gives up flushing at its deadline when the apiserver hangs", async () => {
  const clock = new FakeClock();
  const signals: AbortSignal[] = [];
  const client = {
    request<T>(_m: string, _p: string, options: RequestOptions = {}): Promise<T> {
      const signal = options.signal!;
      signals.push(signal);
      return new Promise((_resolve, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason), { once: true })
      );
    },
  };
  const recorder = new EventRecorder(client, {
    component: "vigil",
    clock,
    shutdownFlushTimeoutMs: 5_000,
  });
  recorder.event(thing, "Normal", "Created", "m");
  recorder.event(thing, "Normal", "Scaled", "m");
  const stop = new AbortController();
  let stopped = false;
  const running = recorder.start(stop.signal).then(() => {
    stopped = true;
  });
  await clock.advance(0);
  stop.abort();
  await clock.advance(4_999);
  assert.equal(stopped, false, "still flushing within the deadline");
  assert.equal(signals[0]?.aborted, false, "the write in flight is not cut at the stop");
  await clock.advance(1);
  await running;
  assert.equal(signals.length, 1, "no write is started past the deadline");
  assert.equal(signals[0]?.aborted, true);
  assert.equal(recorder.pending, 0, "what is left is dropped");
});
