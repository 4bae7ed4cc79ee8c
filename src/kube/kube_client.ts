/**
 * A thin HTTP client for the Kubernetes API: client-node supplies the
 * kubeconfig, authentication and TLS (its undici dispatcher); this adds
 * typed errors, timeouts, cancellation, a request observer for metrics, and
 * raw streaming for watches.
 *
 * Why not client-node's generated APIs: Vigil needs server-side apply with
 * one field manager, watches it controls byte by byte (bookmarks, timeouts,
 * `410 Gone`), and typed errors; the generated clients do not give those.
 *
 * @module
 */
import { type HttpMethod, type KubeConfig, RequestContext } from "@kubernetes/client-node";
import { Agent, type Dispatcher, fetch as undiciFetch } from "undici";
import { errorFromResponse, KubeApiError, NetworkError, type StatusBody } from "./errors.ts";

/** Query parameters; `undefined` values are left out. */
export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

/** Options of one request. */
export interface RequestOptions {
  readonly query?: Query;
  /** JSON-serialised unless it is already a string. */
  readonly body?: unknown;
  /** Defaults to `application/json` when a body is given. */
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /** Client-side deadline for the whole request; default 30 000 ms. */
  readonly timeoutMs?: number;
}

/** What the client reports after every request (for `rest_client_requests_total`). */
export interface RequestRecord {
  readonly method: string;
  readonly host: string;
  /** HTTP status as a string, or `"<error>"` when there was no answer (client-go's label). */
  readonly code: string;
  readonly durationMs: number;
}

/** Options of {@link KubeClient}. */
export interface KubeClientOptions {
  /** Called after every request, answered or not. */
  readonly onRequest?: (record: RequestRecord) => void;
  /** Sent as `User-Agent`; default `vigil`. */
  readonly userAgent?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

interface DispatcherFactory {
  createDispatcherOptions(
    cluster: unknown,
    agentOptions: Record<string, unknown>,
  ): { type: string; connect?: Record<string, unknown> };
  createDispatcher(cluster: unknown, agentOptions: Record<string, unknown>): unknown;
}

const POOLED = Symbol("vigil.pooledDispatcher");

/**
 * Makes `kubeConfig` hand out one pooled HTTP/1.1 dispatcher per TLS identity
 * instead of client-node 2.0.1's behaviour, which builds a new undici Agent
 * — a new TCP and TLS connection — for every request, and lets undici
 * negotiate HTTP/2, whose GOAWAY handling in Deno 2.9.6's nghttp2 aborts the
 * process when an apiserver shuts down with watches open. HTTP/1.1 with
 * keep-alive is what client-go's watches use too (one connection per watch).
 * Proxied clusters keep client-node's own dispatcher.
 */
function poolDispatchers(kubeConfig: KubeConfig): void {
  const factory = kubeConfig as unknown as DispatcherFactory & { [POOLED]?: true };
  if (factory[POOLED]) return;
  factory[POOLED] = true;
  const original = factory.createDispatcher.bind(factory);
  const pool = new Map<string, Agent>();
  factory.createDispatcher = (cluster, agentOptions) => {
    const opts = factory.createDispatcherOptions(cluster, agentOptions);
    if (opts.type !== "agent" && opts.type !== "none") return original(cluster, agentOptions);
    // "none": no TLS settings of its own (a public CA), which undici would
    // otherwise serve from its global, HTTP/2-capable dispatcher.
    const connect = opts.connect ?? {};
    // Certificates may rotate on disk (client-node rereads them): key the pool by their content.
    const key = JSON.stringify([
      (cluster as { server?: string } | null)?.server,
      String(connect.ca ?? ""),
      String(connect.cert ?? ""),
      String(connect.key ?? ""),
      connect.servername,
      connect.rejectUnauthorized,
    ]);
    let agent = pool.get(key);
    if (agent === undefined) {
      agent = new Agent({ connect, allowH2: false });
      pool.set(key, agent);
    }
    return agent;
  };
}

/**
 * Sends requests to the API server of a {@link KubeConfig}'s current context.
 *
 * Guarantees: a non-2xx answer throws the matching {@link KubeApiError}
 * subclass; no answer at all throws {@link NetworkError}; an aborted `signal`
 * rejects with the signal's reason.
 */
export class KubeClient {
  readonly #kubeConfig: KubeConfig;
  readonly #server: URL;
  readonly #onRequest: (record: RequestRecord) => void;
  readonly #userAgent: string;

  constructor(kubeConfig: KubeConfig, options: KubeClientOptions = {}) {
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster === null) {
      throw new TypeError("Cannot create a client: the kubeconfig has no current cluster");
    }
    poolDispatchers(kubeConfig);
    this.#kubeConfig = kubeConfig;
    this.#server = new URL(cluster.server);
    this.#onRequest = options.onRequest ?? (() => {});
    this.#userAgent = options.userAgent ?? "vigil";
  }

  /** The API server's base URL. */
  get server(): URL {
    return this.#server;
  }

  /**
   * Sends one request and parses the JSON answer.
   *
   * @throws {KubeApiError} for every non-2xx answer and for network failures.
   */
  async request<T = unknown>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<T> {
    const response = await this.#send(method, path, options, false);
    const text = await response.text();
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  /**
   * Opens a streaming GET (a watch) and returns its body. The caller owns the
   * stream: cancel it, or abort `signal`, to close the connection.
   *
   * @throws {KubeApiError} when the server answers non-2xx or not at all.
   */
  async stream(path: string, options: RequestOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const response = await this.#send("GET", path, options, true);
    if (response.body === null) {
      throw new NetworkError(`Cannot GET ${path}: the response has no body`, { status: 0 });
    }
    return response.body as ReadableStream<Uint8Array>;
  }

  async #send(
    method: string,
    path: string,
    options: RequestOptions,
    streaming: boolean,
  ): Promise<Response> {
    const url = new URL(this.#server.href.replace(/\/$/, "") + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const ctx = new RequestContext(url.toString(), method.toUpperCase() as HttpMethod);
    await this.#kubeConfig.applySecurityAuthentication(ctx);
    const headers: Record<string, string> = {
      ...ctx.getHeaders(),
      "user-agent": this.#userAgent,
      accept: "application/json",
    };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      headers["content-type"] = options.contentType ?? "application/json";
    }

    // The deadline covers connecting and the headers; a stream's body is the
    // caller's to time out (watches are long by design).
    const controller = new AbortController();
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(
      () => controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, "TimeoutError")),
      timeoutMs,
    );
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) controller.abort(options.signal.reason);

    const started = performance.now();
    const record = (code: string) =>
      this.#onRequest({
        method: method.toUpperCase(),
        host: this.#server.host,
        code,
        durationMs: performance.now() - started,
      });
    let response: Response;
    try {
      const init: Record<string, unknown> = {
        method: method.toUpperCase(),
        headers,
        signal: controller.signal,
      };
      if (body !== undefined) init.body = body;
      const dispatcher = ctx.getDispatcher() as Dispatcher | undefined;
      if (dispatcher !== undefined) init.dispatcher = dispatcher;
      response = await undiciFetch(url, init) as unknown as Response;
    } catch (cause) {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      record("<error>");
      if (options.signal?.aborted) throw options.signal.reason;
      throw new NetworkError(
        `Cannot ${method.toUpperCase()} ${path}: ${describeCause(cause)}`,
        { status: 0, cause },
      );
    }
    clearTimeout(timer);
    if (!streaming) options.signal?.removeEventListener("abort", onAbort);
    record(String(response.status));
    if (response.ok) return response;

    const text = await response.text().catch(() => "");
    options.signal?.removeEventListener("abort", onAbort);
    let status: StatusBody | undefined;
    try {
      status = text === "" ? undefined : JSON.parse(text) as StatusBody;
    } catch {
      status = { message: text.slice(0, 500) };
    }
    throw errorFromResponse(
      response.status,
      status,
      { method: method.toUpperCase(), path },
      response.headers.get("retry-after"),
    );
  }
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = (cause as { cause?: unknown }).cause;
  return inner instanceof Error ? `${cause.message} (${inner.message})` : cause.message;
}

export { KubeApiError };
