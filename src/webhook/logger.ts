/**
 * The logging contract of the webhook package.
 *
 * The package logs through this small interface so that it does not depend on
 * the operator's logging module; the caller passes its own logger (the shape of
 * `@std/log`'s `Logger` methods fits) or gets {@linkcode noopLogger}.
 *
 * @module
 */

/** Structured fields attached to one log record. */
export type LogFields = Record<string, unknown>;

/**
 * A leveled, structured logger.
 *
 * Implementations must not throw: the webhook server calls them from request
 * paths where a throwing logger would turn into a failed admission.
 */
export interface Logger {
  /** Records detail useful only while debugging. */
  debug(msg: string, fields?: LogFields): void;
  /** Records a normal but significant event (a certificate reload). */
  info(msg: string, fields?: LogFields): void;
  /** Records something unexpected that the server recovered from. */
  warn(msg: string, fields?: LogFields): void;
  /** Records a failure (a handler that threw). */
  error(msg: string, fields?: LogFields): void;
}

/** A {@linkcode Logger} that discards everything; the default everywhere. */
export const noopLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});
