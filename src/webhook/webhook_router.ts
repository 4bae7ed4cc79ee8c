/**
 * The HTTP side of the webhook server without the listener: routing by path,
 * request checks, review decoding, handler deadlines and metrics.
 *
 * Kept apart from the TLS listener so that it can be tested without one and
 * reused behind any server: {@linkcode WebhookRouter.answer} takes a
 * {@linkcode WebhookRequest} (method, target, two headers and a body reader)
 * and returns status, headers and body bytes, so a server passes its own
 * request through without building web `Request`/`Response` objects;
 * {@linkcode WebhookRouter.handle} adapts it to `Request` and `Response`.
 *
 * @module
 */
import {
  type AdmissionHandler,
  type AdmissionResponse,
  decodeAdmissionReview,
  errored,
  review,
} from "./admission_review.ts";
import {
  answerConversion,
  conversionFailed,
  type ConversionHandler,
  decodeConversionReview,
} from "./conversion_review.ts";
import { HandlerTimeoutError, ReviewDecodeError } from "./errors.ts";
import { type Logger, noopLogger } from "./logger.ts";
import { noopWebhookMetrics, type WebhookMetrics } from "./webhook_metrics.ts";
import { realTimers, type Timers } from "./timers.ts";
import { CoarseDeadlines } from "./coarse_deadlines.ts";
import { oneLine } from "./_issues.ts";
import { readBodyLimited, TOO_LARGE } from "./_read_body.ts";

/**
 * Default AdmissionReview body limit: 7 MiB, controller-runtime's. A review
 * carries the object and, on UPDATE, its old version, each up to the API
 * server's 3 MiB request limit, plus the envelope.
 */
export const DEFAULT_MAX_ADMISSION_BODY_BYTES = 7 * 1024 * 1024;
/**
 * Default ConversionReview body limit: 128 MiB. The apiserver's webhook
 * converter sends every item of a list it is handed in one ConversionReview,
 * and controller-runtime reads reviews with no limit at all. Kubernetes 1.37
 * hands it one object at a time (as an object enters a version's watch cache,
 * or as each item is read from etcd: listing 1,500 Databases through v1beta1
 * sent no review over 4.3 KiB), so the bound is headroom for apiservers that
 * batch, not a measured need: 128 MiB is some 40,000 Databases of 3 KiB, and
 * it only keeps one request from exhausting the heap (parsing costs about
 * three times the body).
 */
export const DEFAULT_MAX_CONVERSION_BODY_BYTES = 128 * 1024 * 1024;
/** Default handler deadline; must stay below the webhook's `timeoutSeconds` (default 10). */
export const DEFAULT_HANDLER_TIMEOUT_MS = 8_000;

/** Options of {@linkcode WebhookRouter}. */
export interface WebhookRouterOptions {
  /**
   * Largest accepted AdmissionReview body, in bytes; larger bodies get 413.
   * Default {@linkcode DEFAULT_MAX_ADMISSION_BODY_BYTES} (7 MiB).
   */
  maxAdmissionBodyBytes?: number;
  /**
   * Largest accepted ConversionReview body, in bytes; larger bodies get 413.
   * Default {@linkcode DEFAULT_MAX_CONVERSION_BODY_BYTES} (128 MiB).
   */
  maxConversionBodyBytes?: number;
  /**
   * Deadline of one handler call, in milliseconds. Default 8000. Keep it below
   * the webhook configuration's `timeoutSeconds` so that the API server gets
   * this package's answer rather than its own timeout. Deadlines share one
   * coarse tick ({@linkcode CoarseDeadlines}): a handler is cut off between
   * this and this plus `2 × min(250, handlerTimeoutMs / 32)` ms after it started.
   */
  handlerTimeoutMs?: number;
  /** Where handler failures and timeouts are logged. Default: nowhere. */
  logger?: Logger;
  /** Request metrics. Default: none. */
  metrics?: WebhookMetrics;
  /** Timers for handler deadlines (and the server's stop and drain). Default: the global timers. */
  clock?: Timers;
}

/** One request as a server hands it to {@linkcode WebhookRouter.answer}. */
export interface WebhookRequest {
  /** HTTP method. */
  method: string;
  /** Request target: a path with an optional query (`/validate?x`) or an absolute URL. */
  url: string;
  /** The `content-type` header, if any. */
  contentType: string | null | undefined;
  /** The declared `content-length`, if any; a body declared over the limit is never read. */
  contentLength: number | undefined;
  /**
   * Reads the whole body, or stops once more than `maxBytes` arrived and
   * resolves with {@linkcode TOO_LARGE}; rejects when the client goes away.
   */
  readBody(maxBytes: number): Promise<Uint8Array | typeof TOO_LARGE>;
}

/** The answer of {@linkcode WebhookRouter.answer}, ready to write. */
export interface WebhookResponse {
  /** HTTP status. */
  status: number;
  /** Headers: `content-type`, and `allow` on 405; no `content-length`. */
  headers: Record<string, string>;
  /** The whole body. */
  body: Uint8Array;
}

export { TOO_LARGE };

type Route =
  | { kind: "admission"; handler: AdmissionHandler }
  | { kind: "conversion"; handler: ConversionHandler };

/**
 * Routes webhook requests to admission and conversion handlers by exact path.
 *
 * Guarantees of {@linkcode WebhookRouter.handle}: it never rejects; unknown
 * paths get 404, other methods than POST 405, other content types than
 * `application/json` 415, bodies over the limit of their kind 413 (reading
 * stops there), undecodable reviews 400
 * with a one-line reason; every decoded review gets a well-formed review
 * response carrying its uid, `errored(504)`/`Failure` after the deadline and
 * `errored(500)`/`Failure` when the handler throws.
 */
export class WebhookRouter {
  #routes = new Map<string, Route>();
  #maxBodyBytes: { admission: number; conversion: number };
  #timeoutMs: number;
  #logger: Logger;
  #metrics: WebhookMetrics;
  #deadlines: CoarseDeadlines;

  /** Creates a router with no routes. */
  constructor(options: WebhookRouterOptions = {}) {
    this.#maxBodyBytes = {
      admission: options.maxAdmissionBodyBytes ?? DEFAULT_MAX_ADMISSION_BODY_BYTES,
      conversion: options.maxConversionBodyBytes ?? DEFAULT_MAX_CONVERSION_BODY_BYTES,
    };
    this.#timeoutMs = options.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS;
    this.#logger = options.logger ?? noopLogger;
    this.#metrics = options.metrics ?? noopWebhookMetrics;
    if (!(this.#timeoutMs > 0)) throw new RangeError("Cannot create router: handlerTimeoutMs <= 0");
    this.#deadlines = new CoarseDeadlines(this.#timeoutMs, options.clock ?? realTimers);
    for (const [kind, bytes] of Object.entries(this.#maxBodyBytes)) {
      if (!(bytes > 0)) throw new RangeError(`Cannot create router: max ${kind} body bytes <= 0`);
    }
  }

  /**
   * Serves AdmissionReviews posted to `path` (e.g. `/validate-vigil-dev-v1-database`).
   *
   * @throws {TypeError} when `path` does not start with `/` or is taken.
   */
  registerAdmission(path: string, handler: AdmissionHandler): this {
    return this.#register(path, { kind: "admission", handler });
  }

  /**
   * Serves ConversionReviews posted to `path` (e.g. `/convert`).
   *
   * @throws {TypeError} when `path` does not start with `/` or is taken.
   */
  registerConversion(path: string, handler: ConversionHandler): this {
    return this.#register(path, { kind: "conversion", handler });
  }

  /** The registered paths, in registration order. */
  paths(): string[] {
    return [...this.#routes.keys()];
  }

  /**
   * Answers one web `Request`; never rejects. A thin adapter over
   * {@linkcode WebhookRouter.answer} for servers and tests that speak `Request`.
   */
  async handle(request: Request): Promise<Response> {
    const headers = request.headers;
    const declared = headers.get("content-length");
    const answer = await this.answer({
      method: request.method,
      url: request.url,
      contentType: headers.get("content-type"),
      contentLength: declared === null ? undefined : Number(declared),
      // A declared length within the limit bounds the body (the HTTP server
      // enforces it), so it is read in one piece; otherwise reading stops at the limit.
      readBody: (limit) =>
        declared !== null && Number(declared) > 0 && Number.isSafeInteger(Number(declared))
          ? request.bytes()
          : readBodyLimited(request.body, limit),
    });
    return new Response(answer.body as Uint8Array<ArrayBuffer>, {
      status: answer.status,
      headers: answer.headers,
    });
  }

  /**
   * Answers one request as its server hands it over, without web `Request`
   * and `Response` objects in between; never rejects. The response body is
   * built once, as bytes, and carries its `content-type` (and `allow` on 405).
   */
  async answer(request: WebhookRequest): Promise<WebhookResponse> {
    const path = pathOf(request.url);
    const route = this.#routes.get(path);
    if (route === undefined) return text(404, `Cannot serve ${oneLine(path)}: no webhook here`);
    const done = this.#metrics.requestStarted(path);
    let response: WebhookResponse;
    try {
      response = await this.#serve(path, route, request);
    } catch (err) {
      // Only reachable through a bug.
      this.#logger.error("webhook request failed", { webhook: path, error: String(err) });
      response = text(500, "Cannot answer review: internal error");
    }
    done(response.status);
    return response;
  }

  #register(path: string, route: Route): this {
    if (!path.startsWith("/")) {
      throw new TypeError(`Cannot register webhook: path "${path}" does not start with "/"`);
    }
    if (this.#routes.has(path)) {
      throw new TypeError(`Cannot register webhook: path "${path}" is already registered`);
    }
    this.#routes.set(path, route);
    return this;
  }

  async #serve(path: string, route: Route, request: WebhookRequest): Promise<WebhookResponse> {
    if (request.method !== "POST") {
      return text(405, `Cannot serve ${request.method} ${path}: only POST is allowed`, {
        allow: "POST",
      });
    }
    const mediaType = (request.contentType ?? "").split(";")[0]?.trim();
    if (mediaType?.toLowerCase() !== "application/json") {
      return text(
        415,
        `Cannot decode review: content type "${oneLine(mediaType ?? "")}" is not application/json`,
      );
    }
    const limit = this.#maxBodyBytes[route.kind];
    if ((request.contentLength ?? 0) > limit) return tooLarge(limit);
    let body: unknown;
    try {
      const bytes = await request.readBody(limit);
      if (bytes === TOO_LARGE) return tooLarge(limit);
      body = JSON.parse(UTF8.decode(bytes));
    } catch (err) {
      return text(400, `Cannot decode review: body is not valid UTF-8 JSON: ${String(err)}`);
    }
    try {
      return route.kind === "admission"
        ? json(await this.#admit(path, route.handler, decodeAdmissionReview(body)))
        : json(
          await this.#convert(path, route.handler, decodeConversionReview(body)),
        );
    } catch (err) {
      if (err instanceof ReviewDecodeError) return text(400, err.message);
      throw err;
    }
  }

  async #admit(
    path: string,
    handler: AdmissionHandler,
    req: ReturnType<typeof decodeAdmissionReview>,
  ) {
    const outcome = await this.#withDeadline(path, (signal) => handler(req, signal));
    let response: AdmissionResponse;
    if (outcome.ok) {
      response = isAdmissionResponse(outcome.value)
        ? outcome.value
        : errored(500, "Cannot answer AdmissionReview: handler returned no AdmissionResponse");
    } else if (outcome.error instanceof HandlerTimeoutError) {
      this.#logger.warn("admission handler timed out", { webhook: path, uid: req.uid });
      response = errored(504, outcome.error);
    } else {
      this.#logger.error("admission handler failed", {
        webhook: path,
        uid: req.uid,
        error: String(outcome.error),
      });
      response = errored(500, outcome.error);
    }
    return review(req.uid, response);
  }

  async #convert(
    path: string,
    handler: ConversionHandler,
    req: ReturnType<typeof decodeConversionReview>,
  ) {
    const logged: ConversionHandler = async (objects, version, signal) => {
      try {
        return await handler(objects, version, signal);
      } catch (err) {
        this.#logger.warn("conversion failed", { webhook: path, uid: req.uid, error: String(err) });
        throw err;
      }
    };
    const outcome = await this.#withDeadline(
      path,
      (signal) => answerConversion(req, logged, signal),
    );
    if (outcome.ok) return outcome.value;
    this.#logger.warn("conversion handler timed out", { webhook: path, uid: req.uid });
    return conversionFailed(req.uid, String((outcome.error as Error).message));
  }

  /**
   * Runs `work` until it settles or the deadline passes, whichever is first.
   *
   * The handler's signal aborts only at the deadline: no "client gone" signal
   * is chained because servers do not agree on one (`Deno.serve` aborts
   * `Request.signal` after every successful response; this package's
   * `node:https` server hands over no `Request` at all), and the API server
   * stops waiting at `timeoutSeconds`, after this deadline, anyway.
   */
  #withDeadline<T>(
    path: string,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    const controller = new AbortController();
    return new Promise((resolve) => {
      let settled = false;
      const deadline = this.#deadlines.add(() => {
        if (settled) return;
        settled = true;
        // Built only when it fires: an Error captures a stack trace, which costs on every request.
        const timeout = new HandlerTimeoutError(path, this.#timeoutMs);
        controller.abort(timeout);
        resolve({ ok: false, error: timeout });
      });
      const finish = (outcome: { ok: true; value: T } | { ok: false; error: unknown }) => {
        if (settled) return;
        settled = true;
        this.#deadlines.cancel(deadline);
        resolve(outcome);
      };
      let running: Promise<T>;
      try {
        running = Promise.resolve(work(controller.signal));
      } catch (error) {
        running = Promise.reject(error);
      }
      running.then((value) => finish({ ok: true, value }), (error) => finish({ ok: false, error }));
    });
  }
}

/** Decodes request bodies; stateless between calls, so one serves every request. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });
const ENCODER = new TextEncoder();

/**
 * The path of a request target, as `new URL(url).pathname` gives it for an
 * absolute URL (servers hand over URLs their own parser built) or as it
 * stands for a path (`/validate?x`), without building a URL.
 */
function pathOf(url: string): string {
  let start = 0;
  if (!url.startsWith("/")) {
    const scheme = url.indexOf("://");
    start = url.indexOf("/", scheme < 0 ? 0 : scheme + 3);
    if (start < 0) return "/";
  }
  let end = url.length;
  const query = url.indexOf("?", start);
  if (query >= 0) end = query;
  const fragment = url.indexOf("#", start);
  if (fragment >= 0 && fragment < end) end = fragment;
  return url.slice(start, end);
}

function isAdmissionResponse(value: unknown): value is AdmissionResponse {
  return typeof value === "object" && value !== null &&
    typeof (value as { allowed?: unknown }).allowed === "boolean";
}

function tooLarge(limit: number): WebhookResponse {
  return text(413, `Cannot decode review: body exceeds ${limit} bytes`);
}

function json(body: unknown): WebhookResponse {
  return {
    status: 200,
    headers: { "content-type": "application/json" },
    body: ENCODER.encode(JSON.stringify(body)),
  };
}

function text(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): WebhookResponse {
  return {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
    body: ENCODER.encode(`${oneLine(message)}\n`),
  };
}
