import assert from "node:assert/strict";
import { ApiServerGate, ApiServerUnreachableError } from "../../../src/cli/api_server_gate.ts";
import { ForbiddenError, NetworkError, ServiceUnavailableError } from "../../../src/kube/mod.ts";
import { Backoff } from "../../../src/runtime/mod.ts";
import { FakeClock, flush } from "../../../src/runtime/testing.ts";
import type { Logger } from "../../../src/observability/log.ts";

const warnings: string[] = [];
const log: Logger = {
  name: "test",
  debug() {},
  info() {},
  warn: (msg) => void warnings.push(msg),
  error() {},
  child: () => log,
};

/** A client whose n-th `/version` call answers with `answers[n]` (an Error is thrown). */
function scripted(answers: Array<Error | string>) {
  const calls: number[] = [];
  return {
    calls,
    client: {
      request<T>(): Promise<T> {
        const answer = answers[Math.min(calls.length, answers.length - 1)]!;
        calls.push(calls.length);
        return answer instanceof Error
          ? Promise.reject(answer)
          : Promise.resolve({ gitVersion: answer } as T);
      },
    },
  };
}

const down = () => new NetworkError("Cannot GET /version: connection refused", { status: 0 });

function gate(client: ReturnType<typeof scripted>["client"], clock: FakeClock, timeoutMs: number) {
  const connected: string[] = [];
  const g = new ApiServerGate(client, {
    server: "https://api.example:6443",
    timeoutMs,
    clock,
    log,
    // No jitter, so the test knows when each attempt falls due: 500, 1000, 2000 … ms.
    backoff: new Backoff({ initialMs: 500, maxMs: 10_000, jitter: 0, clock }),
    onConnected: (v) => connected.push(v),
  });
  return { g, connected };
}

Deno.test("start-up retries an unreachable API server with growing delays and is ready once it answers", async () => {
  const clock = new FakeClock();
  const { client, calls } = scripted([
    down(),
    down(),
    new ServiceUnavailableError("503", {
      status: 503,
    }),
    "v1.37.2",
  ]);
  const { g, connected } = gate(client, clock, 120_000);
  const stop = new AbortController();
  let ready = false;
  g.ready(stop.signal).then(() => ready = true);
  const running = g.start(stop.signal);
  await flush();
  assert.equal(calls.length, 1);
  assert.throws(g.check, /not reached yet: Cannot GET \/version: connection refused/);
  await clock.advance(499);
  assert.equal(calls.length, 1, "no retry before the first delay");
  await clock.advance(1);
  assert.equal(calls.length, 2);
  await clock.advance(1_000);
  assert.equal(calls.length, 3);
  await clock.advance(2_000);
  assert.equal(calls.length, 4);
  assert.equal(ready, true);
  assert.deepEqual(connected, ["v1.37.2"]);
  g.check();
  stop.abort();
  await running;
});

Deno.test("start-up gives up after the deadline with a message naming the server and the flag", async () => {
  const clock = new FakeClock();
  const { client, calls } = scripted([down()]);
  const { g } = gate(client, clock, 5_000);
  const stop = new AbortController();
  const running = g.start(stop.signal);
  let failure: unknown;
  running.catch((err) => failure = err);
  const failed = (): unknown => failure;
  await clock.advance(4_999);
  assert.equal(failed(), undefined, "still retrying inside the deadline");
  await clock.advance(1);
  await flush();
  const err = failed();
  assert.ok(err instanceof ApiServerUnreachableError, String(err));
  assert.match(
    err.message,
    /Cannot reach the API server https:\/\/api\.example:6443 within --startup-timeout/,
  );
  assert.ok(calls.length >= 4, `${calls.length} attempts`);
});

Deno.test("an answer retrying cannot change fails start-up at once", async () => {
  const clock = new FakeClock();
  const { client, calls } = scripted([
    new ForbiddenError("Cannot GET /version: forbidden", {
      status: 403,
    }),
  ]);
  const { g } = gate(client, clock, 120_000);
  await assert.rejects(g.start(new AbortController().signal), ApiServerUnreachableError);
  assert.equal(calls.length, 1);
});

Deno.test("a stop while start-up waits ends it quietly", async () => {
  const clock = new FakeClock();
  const { client } = scripted([down()]);
  const { g } = gate(client, clock, 120_000);
  const stop = new AbortController();
  const running = g.start(stop.signal);
  await clock.advance(100);
  stop.abort();
  await running;
  assert.equal(clock.pendingTimers, 0, "no timer left behind");
});
