/**
 * Typed errors for Kubernetes API responses, mapped from the HTTP status and
 * the `Status` body the apiserver returns, as apimachinery's `errors` package
 * does (`IsNotFound`, `IsConflict`, `IsResourceExpired`, …).
 *
 * Guarantees: every failed request surfaces as a {@link KubeApiError}
 * subclass; {@link isRetryable} says whether retrying the same request can
 * succeed without a change from anyone.
 *
 * @module
 */

/** One field-level cause from a `Status.details.causes` list. */
export interface StatusCause {
  readonly field?: string;
  readonly message?: string;
  readonly reason?: string;
}

/** The parts of a `metav1.Status` body this module reads. */
export interface StatusBody {
  readonly kind?: string;
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: {
    readonly name?: string;
    readonly kind?: string;
    readonly causes?: readonly StatusCause[];
    readonly retryAfterSeconds?: number;
  };
}

/** Where a failed request went, for the error message. */
export interface RequestTarget {
  readonly method: string;
  readonly path: string;
}

/** Base class for every error the apiserver answered with. */
export class KubeApiError extends Error {
  override name = "KubeApiError";
  /** HTTP status code, or 0 for network errors. */
  readonly status: number;
  /** The `Status.reason` (e.g. `NotFound`, `Conflict`), when given. */
  readonly reason: string;
  /** The `Status` body as sent, when the server sent one. */
  readonly body: StatusBody | undefined;
  /** Seconds the server asked us to wait before retrying, when it said. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    message: string,
    options: {
      status: number;
      reason?: string;
      body?: StatusBody;
      retryAfterSeconds?: number;
      cause?: unknown;
    },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.reason = options.reason ?? options.body?.reason ?? "";
    this.body = options.body;
    this.retryAfterSeconds = options.retryAfterSeconds ?? options.body?.details?.retryAfterSeconds;
  }
}

/** 404: the object (or its namespace, or the resource) does not exist. */
export class NotFoundError extends KubeApiError {
  override name = "NotFoundError";
}
/** 409 with reason `AlreadyExists`: create of an existing name. */
export class AlreadyExistsError extends KubeApiError {
  override name = "AlreadyExistsError";
}
/** 409: optimistic-concurrency conflict on `resourceVersion`, or an apply conflict. */
export class ConflictError extends KubeApiError {
  override name = "ConflictError";
}
/** 410 Gone / reason `Expired`: the `resourceVersion` asked for was compacted; relist. */
export class GoneError extends KubeApiError {
  override name = "GoneError";
}
/** 401: the credentials were refused. */
export class UnauthorizedError extends KubeApiError {
  override name = "UnauthorizedError";
}
/** 403: RBAC (or an admission plugin) denied the request. */
export class ForbiddenError extends KubeApiError {
  override name = "ForbiddenError";
}
/** 400: the request itself was malformed. */
export class BadRequestError extends KubeApiError {
  override name = "BadRequestError";
}
/** 422: the object failed validation; {@link InvalidError.causes} names each field. */
export class InvalidError extends KubeApiError {
  override name = "InvalidError";
  /** Field-level causes, as the apiserver listed them. */
  get causes(): readonly StatusCause[] {
    return this.body?.details?.causes ?? [];
  }
}
/** 504, or 500 with reason `Timeout`/`ServerTimeout`: the server gave up; retry. */
export class ServerTimeoutError extends KubeApiError {
  override name = "ServerTimeoutError";
}
/** 429: throttled by API Priority and Fairness; honour `retryAfterSeconds`. */
export class TooManyRequestsError extends KubeApiError {
  override name = "TooManyRequestsError";
}
/** 503: the server (or an aggregated API, or a webhook) is not available now. */
export class ServiceUnavailableError extends KubeApiError {
  override name = "ServiceUnavailableError";
}
/** Any other 5xx. */
export class InternalServerError extends KubeApiError {
  override name = "InternalServerError";
}
/** The request never got an HTTP answer: refused, reset, DNS, TLS, or a client-side timeout. */
export class NetworkError extends KubeApiError {
  override name = "NetworkError";
}

/**
 * Maps an HTTP status and (optional) `Status` body to the matching error class.
 *
 * @example
 * ```ts
 * import { errorFromResponse, GoneError } from "./errors.ts";
 * const err = errorFromResponse(410, { reason: "Expired", message: "too old" },
 *   { method: "GET", path: "/api/v1/pods" });
 * console.assert(err instanceof GoneError);
 * ```
 */
export function errorFromResponse(
  status: number,
  body: StatusBody | undefined,
  target: RequestTarget,
  retryAfterHeader?: string | null,
): KubeApiError {
  const reason = body?.reason ?? "";
  const detail = body?.message ?? `HTTP ${status}`;
  const message = `Cannot ${target.method} ${target.path}: ${detail}`;
  const retryAfterSeconds = parseRetryAfter(retryAfterHeader) ??
    body?.details?.retryAfterSeconds;
  const options = {
    status,
    reason,
    ...(body === undefined ? {} : { body }),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  };
  switch (status) {
    case 400:
      return new BadRequestError(message, options);
    case 401:
      return new UnauthorizedError(message, options);
    case 403:
      return new ForbiddenError(message, options);
    case 404:
      return new NotFoundError(message, options);
    case 409:
      return reason === "AlreadyExists"
        ? new AlreadyExistsError(message, options)
        : new ConflictError(message, options);
    case 410:
      return new GoneError(message, options);
    case 422:
      return new InvalidError(message, options);
    case 429:
      return new TooManyRequestsError(message, options);
    case 503:
      return new ServiceUnavailableError(message, options);
    case 504:
      return new ServerTimeoutError(message, options);
  }
  if (reason === "Expired" || reason === "Gone") return new GoneError(message, options);
  if (status === 500 && (reason === "Timeout" || reason === "ServerTimeout")) {
    return new ServerTimeoutError(message, options);
  }
  if (status >= 500) return new InternalServerError(message, options);
  return new KubeApiError(message, options);
}

/** Parses a `Retry-After` header given in seconds (the form the apiserver sends). */
export function parseRetryAfter(header: string | null | undefined): number | undefined {
  if (header === null || header === undefined || header.trim() === "") return undefined;
  const seconds = Number(header.trim());
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/**
 * Whether the same request may succeed later without anyone changing
 * anything: network errors, 429, 5xx and server timeouts. Conflicts are not
 * in this list: they need a fresh read first, which the caller decides.
 */
export function isRetryable(err: unknown): boolean {
  return err instanceof NetworkError || err instanceof TooManyRequestsError ||
    err instanceof ServiceUnavailableError || err instanceof ServerTimeoutError ||
    err instanceof InternalServerError;
}

/**
 * An object that cannot be converted between the versions of its API: what a
 * conversion webhook answers with a failed ConversionReview, whose message
 * the apiserver shows to whoever listed or wrote the object. The one class for
 * it, thrown by the Database conversion and by the webhook's per-object
 * conversion alike; its message reads "Cannot convert <what>: <why>".
 */
export class ConversionError extends TypeError {
  /** Creates the error; `message` names the object and why it cannot be converted. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConversionError";
  }
}
