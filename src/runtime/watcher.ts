/**
 * The list/watch state machine (kube-rs `watcher`, client-go `reflector.go`),
 * yielding closed event types. Hand-written because client-node's
 * ListWatch/makeInformer never requests bookmarks, stops silently when a
 * watch dies, reconnects without backoff (a request storm after an apiserver
 * restart), and has no streaming list.
 *
 * ## Guarantees
 * - Every (re)list is framed: `init`, `initApply`…, `initDone`; a consumer
 *   that replaces its cache on `initDone` is exactly in sync with the list.
 *   A list cut short is started over with a new `init`.
 * - Lists are paginated (`limit`/`continue`). The first is a consistent read;
 *   a relist asks for data not older than the last resourceVersion seen
 *   (`resourceVersionMatch=NotOlderThan`, client-go's
 *   `relistResourceVersion`), which a watch cache can serve, and becomes a
 *   consistent read at once if the server answers that this version is gone
 *   (`410`) or newer than it has (`504` "Too large resource version": a
 *   lagging apiserver, an etcd restored from a backup).
 * - A watch answered `410 Gone` (on opening or as an `ERROR` event) relists
 *   at the last resourceVersion at once; one answered "too large" does so
 *   after {@link Backoff}, as client-go.
 * - Watches ask for bookmarks and a server timeout of 5–10 min (random, as
 *   client-go), so a watch that nothing writes to is still recycled; a normal
 *   end re-watches from the last resourceVersion at once.
 * - A watch body that fails (a closed connection) is re-opened after
 *   {@link Backoff}, as are network errors, 5xx and 429 (and any other
 *   failure); a 429's Retry-After is waited at least.
 * - A watch silent for `inactivityTimeoutMs` is dropped and re-opened: the
 *   last resort for a connection that died without a word.
 * - Streaming lists (`sendInitialEvents`) are used when the server takes
 *   them; a 4xx refusal, or a stream that runs its whole timeout without
 *   marking the end of its initial events (a server ignoring the parameter),
 *   switches this watcher to paginated lists for good. A streaming list cut
 *   short any other way (a clean end, a broken connection) is retried as one.
 *
 * ## Assumptions
 * The first list is a consistent read (no `resourceVersion`), so pagination
 * is honoured by every apiserver version. Initial events of a streaming list
 * come in no resourceVersion order, so only its end-marking bookmark moves
 * the last resourceVersion known.
 *
 * ## Errors
 * {@link Watcher.events} never throws for API or network failures: it
 * retries them until its signal aborts.
 *
 * @module
 */
import {
  errorFromResponse,
  GoneError,
  KubeApiError,
  type KubeClient,
  TooManyRequestsError,
} from "../kube/mod.ts";
import { getLogger, type Logger } from "../observability/log.ts";
import { Backoff, type BackoffOptions } from "./backoff.ts";
import { type Clock, realClock } from "./clock.ts";
import { apiVersionOf, type KubeObject, type Resource, resourcePath } from "./resource.ts";

/** What a watcher yields. */
export type WatchEvent<T> =
  | { readonly type: "init" }
  | { readonly type: "initApply"; readonly obj: T }
  | { readonly type: "initDone" }
  | { readonly type: "apply"; readonly obj: T }
  | { readonly type: "delete"; readonly obj: T };

/** The part of {@link KubeClient} a watcher needs (tests pass a fake). */
export type WatchClient = Pick<KubeClient, "request" | "stream">;

/** Options of {@link Watcher}. */
export interface WatcherOptions {
  /** Only this namespace; default all namespaces. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Items per list page; default 500. */
  readonly pageSize?: number;
  /** Try a streaming list first; default true. */
  readonly streamingList?: boolean;
  /**
   * Restart a watch silent this long; default 90 000 ms. Bookmarks arrive
   * about once a minute, so a longer silence means a connection that died
   * without the client seeing it close (a peer that vanished without a FIN).
   */
  readonly inactivityTimeoutMs?: number;
  /** Lower bound of the random server-side watch timeout; default 300 s (so 5–10 min). */
  readonly minWatchTimeoutSeconds?: number;
  /** Reconnect backoff; defaults are client-go's reflector values. */
  readonly backoff?: BackoffOptions;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly log?: Logger;
}

const INITIAL_EVENTS_END = "k8s.io/initial-events-end";

/** Why a watch body stopped without an error from the server. */
class StreamEnded extends Error {
  override name = "StreamEnded";
}

interface RawEvent {
  type: string;
  object: KubeObject;
}

/**
 * Whether the server refused a resourceVersion newer than any it has, as
 * client-go's `isTooLargeResourceVersionError`: a `504` whose cause is
 * `ResourceVersionTooLarge`, or, from apiservers before 1.18.6, a timeout
 * saying "Too large resource version".
 */
export function isTooLargeResourceVersion(err: unknown): boolean {
  if (!(err instanceof KubeApiError)) return false;
  const causes = err.body?.details?.causes ?? [];
  if (causes.some((c) => c.reason === "ResourceVersionTooLarge")) return true;
  if (err.reason !== "Timeout") return false;
  return causes.some((c) => c.message === TOO_LARGE_MESSAGE) ||
    (err.body?.message ?? "").includes(TOO_LARGE_MESSAGE);
}

const TOO_LARGE_MESSAGE = "Too large resource version";

/** Lists then watches one resource, forever, until the signal aborts. */
export class Watcher<T extends KubeObject = KubeObject> {
  readonly #client: WatchClient;
  readonly #resource: Resource;
  readonly #options: WatcherOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #backoff: Backoff;
  readonly #log: Logger;
  #streaming: boolean;
  /** The newest resourceVersion the consumer's cache holds: of the last list, event or bookmark. */
  #rv: string | undefined;
  /** Whether the cache must be (re)listed before the next watch. */
  #mustList = true;
  /** Whether the server refused {@link #rv} (410, too large): the next list is a consistent read. */
  #rvUnavailable = false;

  constructor(client: WatchClient, resource: Resource, options: WatcherOptions = {}) {
    this.#client = client;
    this.#resource = resource;
    this.#options = options;
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? Math.random;
    this.#backoff = new Backoff({ clock: this.#clock, random: this.#random, ...options.backoff });
    this.#streaming = options.streamingList ?? true;
    this.#log = (options.log ?? getLogger("watcher")).child({
      resource: `${resource.plural}.${apiVersionOf(resource)}`,
    });
  }

  /** Whether the next relist will try a streaming list. */
  get streamingList(): boolean {
    return this.#streaming;
  }

  /**
   * Yields events until `signal` aborts, then returns (it never throws for
   * API or network failures: it retries them).
   */
  async *events(signal: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    while (!signal.aborted) {
      try {
        if (!this.#mustList) yield* this.#watch(signal, false);
        else if (this.#streaming) yield* this.#watch(signal, true);
        else yield* this.#list(signal);
      } catch (err) {
        if (signal.aborted) return;
        const tooLarge = isTooLargeResourceVersion(err);
        if (err instanceof GoneError || tooLarge) {
          if (this.#mustList && this.#listRv() !== undefined) {
            // client-go's isLastSyncResourceVersionUnavailable: at once, a consistent read.
            this.#log.info("relist resourceVersion refused; listing from scratch", {
              rv: this.#rv,
              err,
            });
            this.#rvUnavailable = true;
            continue;
          }
          if (!this.#mustList) {
            // A watch: relist at the last resourceVersion, whose "not older
            // than" a list still honours after a 410; a server behind it may
            // catch up during the backoff.
            this.#log.info("watch resourceVersion refused; relisting", { rv: this.#rv, err });
            this.#mustList = true;
            if (!tooLarge) continue;
          }
          // A watch refused as too large, or a consistent read refused (an
          // expired continue token): back off.
        }
        let delayMs = this.#backoff.next();
        if (err instanceof TooManyRequestsError && err.retryAfterSeconds !== undefined) {
          delayMs = Math.max(delayMs, err.retryAfterSeconds * 1000);
        }
        this.#log.warn("list/watch failed; retrying", { err, delayMs: Math.round(delayMs) });
        try {
          await this.#clock.sleep(delayMs, signal);
        } catch {
          return;
        }
      }
    }
  }

  /** The resourceVersion a (re)list asks for; `undefined` for a consistent read. */
  #listRv(): string | undefined {
    return this.#rvUnavailable || !this.#rv ? undefined : this.#rv;
  }

  /** Records a complete list at `rv`: the next request is a watch from it. */
  #listed(rv: string): void {
    this.#rv = rv;
    this.#mustList = false;
    this.#rvUnavailable = false;
  }

  #query(): Record<string, string | number | undefined> {
    return {
      labelSelector: this.#options.labelSelector,
      fieldSelector: this.#options.fieldSelector,
    };
  }

  #path(): string {
    return this.#options.namespace === undefined
      ? resourcePath(this.#resource)
      : resourcePath(this.#resource, { namespace: this.#options.namespace });
  }

  #fill(obj: KubeObject, kind: string | undefined): T {
    if (obj.apiVersion === undefined) obj.apiVersion = apiVersionOf(this.#resource);
    if (obj.kind === undefined && kind !== undefined) obj.kind = kind;
    return obj as T;
  }

  async *#list(signal: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    const from = this.#listRv();
    let cont: string | undefined;
    let rv = "";
    let first = true;
    do {
      // A continue token carries the first page's resourceVersion (and the
      // apiserver refuses both together).
      const version = cont !== undefined
        ? { continue: cont }
        : from !== undefined
        ? { resourceVersion: from, resourceVersionMatch: "NotOlderThan" }
        : {};
      const page = await this.#client.request<
        {
          kind?: string;
          metadata?: { resourceVersion?: string; continue?: string };
          items?: KubeObject[];
        }
      >("GET", this.#path(), {
        query: { ...this.#query(), limit: this.#options.pageSize ?? 500, ...version },
        signal,
      });
      const kind = this.#resource.kind ?? page.kind?.replace(/List$/, "");
      if (first) yield { type: "init" };
      first = false;
      for (const item of page.items ?? []) yield { type: "initApply", obj: this.#fill(item, kind) };
      rv = page.metadata?.resourceVersion ?? rv;
      cont = page.metadata?.continue || undefined;
    } while (cont !== undefined);
    this.#listed(rv);
    yield { type: "initDone" };
  }

  async *#watch(signal: AbortSignal, initial: boolean): AsyncGenerator<WatchEvent<T>> {
    const minSeconds = this.#options.minWatchTimeoutSeconds ?? 300;
    const timeoutSeconds = Math.floor(minSeconds * (1 + this.#random()));
    const query = {
      ...this.#query(),
      watch: "true",
      allowWatchBookmarks: "true",
      timeoutSeconds,
      ...(initial
        ? {
          sendInitialEvents: "true",
          resourceVersionMatch: "NotOlderThan",
          resourceVersion: this.#listRv(),
        }
        : { resourceVersion: this.#rv }),
    };
    // Aborted by the inactivity timer, and when this watch ends for any reason.
    const local = new AbortController();
    const request = AbortSignal.any([signal, local.signal]);
    const inactivityMs = this.#options.inactivityTimeoutMs ?? 90_000;
    let timer = this.#clock.setTimeout(
      () => local.abort(new StreamEnded("inactive")),
      inactivityMs,
    );
    const touch = () => {
      this.#clock.clearTimeout(timer);
      timer = this.#clock.setTimeout(() => local.abort(new StreamEnded("inactive")), inactivityMs);
    };
    let initDone = !initial;
    // Started before the request, as client-go's, so that a stream the server
    // ends at its timeout is seen to have lasted that long.
    const startedAt = this.#clock.now();
    try {
      let stream: ReadableStream<Uint8Array>;
      try {
        stream = await this.#client.stream(this.#path(), { query, signal: request });
      } catch (err) {
        if (initial && this.#refusesStreaming(err)) {
          this.#log.info("streaming list not supported; using paginated lists", { err });
          this.#streaming = false;
          yield* this.#list(signal);
          return;
        }
        throw err;
      }
      if (initial) yield { type: "init" };
      let received = 0;
      for await (const raw of readEvents(stream, request)) {
        touch();
        received++;
        const obj = raw.object;
        const rv = obj.metadata?.resourceVersion;
        switch (raw.type) {
          case "ADDED":
          case "MODIFIED":
            if (initDone) {
              this.#rv = rv ?? this.#rv;
              yield { type: "apply", obj: this.#fill(obj, undefined) };
            } else {
              yield { type: "initApply", obj: this.#fill(obj, undefined) };
            }
            break;
          case "DELETED":
            if (initDone) this.#rv = rv ?? this.#rv;
            yield { type: "delete", obj: this.#fill(obj, undefined) };
            break;
          case "BOOKMARK":
            if (initDone) {
              this.#rv = rv ?? this.#rv;
            } else if (obj.metadata?.annotations?.[INITIAL_EVENTS_END] === "true") {
              initDone = true;
              this.#listed(rv ?? "");
              yield { type: "initDone" };
            }
            break;
          case "ERROR": {
            const status = obj as { code?: number; reason?: string; message?: string };
            throw errorFromResponse(status.code ?? 500, status, {
              method: "WATCH",
              path: this.#path(),
            });
          }
        }
      }
      if (!initDone) throw new StreamEnded("the stream ended before its initial events did");
      if (received === 0 && this.#clock.now() - startedAt < 1000) {
        // client-go's "very short watch": a server closing at once must not become a hot loop.
        throw new Error("Cannot watch: the server closed the watch at once with no events");
      }
    } catch (err) {
      if (signal.aborted) throw err;
      const ended = err instanceof StreamEnded || local.signal.reason instanceof StreamEnded;
      if (!initDone) {
        if (ended && this.#clock.now() - startedAt >= timeoutSeconds * 1000) {
          this.#log.info(
            "streaming list gave no end marker within its timeout; using paginated lists",
          );
          this.#streaming = false;
          return;
        }
        // Cut short (a server shutting down, a broken connection): the next
        // streaming list starts over after the backoff.
        throw ended ? new StreamEnded("Cannot finish a streaming list: it was cut short") : err;
      }
      if (ended) {
        this.#log.info("watch silent too long; re-watching", { rv: this.#rv });
        return;
      }
      throw err;
    } finally {
      this.#clock.clearTimeout(timer);
      local.abort();
    }
  }

  #refusesStreaming(err: unknown): boolean {
    return err instanceof KubeApiError && err.status >= 400 && err.status < 500 &&
      err.status !== 401 && err.status !== 403 && err.status !== 410 && err.status !== 429;
  }
}

/**
 * Parses a watch body: one JSON event per line. Linear in the body's size
 * however it is cut into chunks: the pieces of an unfinished line are joined
 * once, when its newline comes, instead of rescanning a growing buffer.
 */
export async function* readEvents(
  stream: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<RawEvent> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  // Cancel the reader ourselves on abort: a fetch body does not always error
  // when its request is aborted after the headers came.
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  let pending: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal?.aborted) throw signal.reason;
      if (done) break;
      let start = 0;
      let newline: number;
      while ((newline = value.indexOf("\n", start)) >= 0) {
        pending.push(value.slice(start, newline));
        const line = pending.length === 1 ? pending[0]! : pending.join("");
        pending = [];
        start = newline + 1;
        if (line.trim() !== "") yield JSON.parse(line) as RawEvent;
      }
      if (start < value.length) pending.push(value.slice(start));
    }
    const rest = pending.join("");
    if (rest.trim() !== "") yield JSON.parse(rest) as RawEvent;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await reader.cancel().catch(() => {});
  }
}
