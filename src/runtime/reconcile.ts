/**
 * What a reconciler receives and returns (controller-runtime `pkg/reconcile`,
 * kube-rs `Action`), and {@link TerminalError} to stop retrying.
 *
 * @module
 */
import type { Logger } from "../observability/log.ts";

/** The object to reconcile, by name. */
export interface Request {
  readonly namespace?: string;
  readonly name: string;
}

/** What a reconcile asks for next; `{}` means done until something changes. */
export interface ReconcileResult {
  /** Reconcile again after this long (resets the failure backoff). */
  readonly requeueAfterMs?: number;
  /** Reconcile again soon, with the rate limiter's backoff. */
  readonly requeue?: boolean;
}

/** Everything a reconcile may use besides the request. */
export interface ReconcileContext {
  /**
   * Aborted when the controller stops and its drain deadline passes, or at
   * once when the lease is lost (reason `LeaderElectionLostError`): stop
   * writing then, another replica may lead already.
   */
  readonly signal: AbortSignal;
  /** Carries `controller`, `key` and `reconcileId` on every line. */
  readonly log: Logger;
  /** Unique per reconcile call. */
  readonly reconcileId: string;
  /** `namespace/name` or `name`. */
  readonly key: string;
}

/** Brings the world in line with one object. Throw to retry with backoff. */
export type Reconciler = (
  request: Request,
  context: ReconcileContext,
) => Promise<ReconcileResult | void>;

/**
 * A failure that retrying cannot fix (invalid spec, forbidden action): the
 * controller logs it, counts it and does not requeue the key until it changes.
 */
export class TerminalError extends Error {
  override name = "TerminalError";

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** `namespace/name` (or `name`) of a request. */
export function requestKey(request: Request): string {
  return request.namespace === undefined || request.namespace === ""
    ? request.name
    : `${request.namespace}/${request.name}`;
}
