import type { Query, RequestOptions } from "../../../src/kube/mod.ts";
import type { WatchClient } from "../../../src/runtime/mod.ts";
import { setupLogging } from "../../../src/observability/log.ts";

// Keep test output readable; behaviour is asserted, not logged.
setupLogging({ write: () => {} });

/** One recorded call to the fake client. */
export interface Call {
  readonly kind: "request" | "stream";
  readonly method: string;
  readonly path: string;
  readonly query: Query;
  readonly at: number;
}

type Answer = (call: Call, signal: AbortSignal | undefined) => unknown;

const encoder = new TextEncoder();

/** A watch body: the given events, then open until the request aborts (or closed). */
export function watchBody(
  events: readonly unknown[],
  signal: AbortSignal | undefined,
  close = false,
): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const e of events) controller.enqueue(encoder.encode(JSON.stringify(e) + "\n"));
      if (close) {
        controller.close();
        return;
      }
      signal?.addEventListener("abort", () => {
        try {
          controller.error(signal.reason);
        } catch { /* already closed */ }
      }, { once: true });
    },
  });
}

/** A scripted {@link WatchClient}: answers are taken in order per kind. */
export class FakeClient implements WatchClient {
  readonly calls: Call[] = [];
  readonly #lists: Answer[];
  readonly #watches: Answer[];
  readonly #now: () => number;

  constructor(now: () => number, lists: Answer[], watches: Answer[]) {
    this.#now = now;
    this.#lists = lists;
    this.#watches = watches;
  }

  request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const call = {
      kind: "request" as const,
      method,
      path,
      query: options.query ?? {},
      at: this.#now(),
    };
    this.calls.push(call);
    const answer = this.#lists.shift();
    if (answer === undefined) return Promise.reject(new Error("no more scripted lists"));
    try {
      return Promise.resolve(answer(call, options.signal) as T);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  stream(path: string, options: RequestOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const call = {
      kind: "stream" as const,
      method: "GET",
      path,
      query: options.query ?? {},
      at: this.#now(),
    };
    this.calls.push(call);
    const answer = this.#watches.shift() ?? ((_c, s) => watchBody([], s));
    try {
      return Promise.resolve(answer(call, options.signal) as ReadableStream<Uint8Array>);
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

/** A ConfigMap-like object. */
export function cm(name: string, rv: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "ns", resourceVersion: rv, ...extra },
  };
}
