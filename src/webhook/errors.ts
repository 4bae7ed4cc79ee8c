/**
 * Error classes raised by the webhook package.
 *
 * Messages read "Cannot <action>: <state>"; the underlying failure, when there
 * is one, is kept as `cause`.
 *
 * @module
 */

/**
 * A request body that is not a well-formed review: bad JSON, wrong
 * `apiVersion`/`kind`, or a schema violation.
 *
 * The message is one line and safe to return to the API server as the body of
 * a 400 response.
 */
export class ReviewDecodeError extends TypeError {
  /** Creates the error; `message` must already be a single line. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ReviewDecodeError";
  }
}

/**
 * A certificate/key pair that cannot be served: unparsable PEM, or a key that
 * does not belong to the certificate.
 */
export class CertificateError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CertificateError";
  }
}

/** A conversion that failed for one object of a ConversionReview (one class for Vigil, in `src/kube`). */
export { ConversionError } from "../kube/errors.ts";

/** A handler that did not answer within `handlerTimeoutMs`. */
export class HandlerTimeoutError extends Error {
  /** Creates the error for a handler on `path` that ran past `timeoutMs`. */
  constructor(path: string, timeoutMs: number) {
    super(`Cannot answer review on ${path}: handler exceeded its deadline of ${timeoutMs} ms`);
    this.name = "HandlerTimeoutError";
  }
}
