/**
 * The next step of a credentials rotation, as a pure decision from what the
 * cluster holds: the request on the Database, the request the credentials
 * Secret last answered, the pending Secret and the rotation Job.
 *
 * ## How a rotation goes
 * 1. `vigil.dev/rotate-credentials` differs from the Secret's
 *    `vigil.dev/rotation-token`: a pending Secret with a new password is created.
 * 2. The rotation Job sets it on every replica, logging in with the old one.
 * 3. The Job succeeded: the credentials Secret gets the new password and the
 *    request as its token; the pod template's rotation annotation follows, so
 *    the pods roll one at a time (the usual rollout).
 * 4. The Secret answers the request: the pending Secret and the Job go.
 *
 * ## Guarantees
 * - The Secret clients read changes once per request, and only after the
 *   engine has the new password; until then the old one works.
 * - Every step is decided from objects in the cluster, so a new leader
 *   continues a rotation; a failed Job stops it (reported, not retried)
 *   until the request changes.
 *
 * @module
 */

/** What the rotation reads. */
export interface RotationObservation {
  /** `vigil.dev/rotate-credentials` on the Database. */
  readonly requested: string | undefined;
  /** `vigil.dev/rotation-token` on the credentials Secret. */
  readonly answered: string | undefined;
  /** The request the pending Secret was made for; undefined when there is none. */
  readonly pending: string | undefined;
  /** The rotation Job of the current request, if any, and how it ended. */
  readonly job: "absent" | "running" | "succeeded" | "failed";
  /** Leftovers of earlier requests (a pending Secret or Jobs) exist. */
  readonly leftovers: boolean;
  /** A Job of another request is still running (it holds the pending password it started with). */
  readonly otherJobRunning: boolean;
}

/** The step to take. */
export type RotationStep =
  | { readonly type: "none" }
  /** Create the pending Secret with a new password (replacing one of an older request). */
  | { readonly type: "createPending"; readonly request: string }
  /** Create the Job that sets the pending password on the engine. */
  | { readonly type: "createJob"; readonly request: string }
  | { readonly type: "wait"; readonly request: string }
  /** Write the pending password into the credentials Secret, answering `request`. */
  | { readonly type: "promote"; readonly request: string }
  /** The Job failed: report, keep the old password, wait for a new request. */
  | { readonly type: "failed"; readonly request: string }
  /** The request is answered: delete the pending Secret and the Jobs. */
  | { readonly type: "cleanup" };

/**
 * Decides the next step of a rotation; see the module documentation.
 *
 * @example
 * ```ts
 * import { nextRotationStep } from "./rotation_step.ts";
 * const step = nextRotationStep({
 *   requested: "2026-12-01",
 *   answered: undefined,
 *   pending: undefined,
 *   job: "absent",
 *   leftovers: false,
 *   otherJobRunning: false,
 * });
 * console.assert(step.type === "createPending");
 * ```
 */
export function nextRotationStep(o: RotationObservation): RotationStep {
  const request = o.requested;
  if (request === undefined || request === "" || request === o.answered) {
    return o.leftovers ? { type: "cleanup" } : { type: "none" };
  }
  if (o.pending !== request) {
    return o.otherJobRunning ? { type: "wait", request } : { type: "createPending", request };
  }
  switch (o.job) {
    case "absent":
      return { type: "createJob", request };
    case "running":
      return { type: "wait", request };
    case "failed":
      return { type: "failed", request };
    case "succeeded":
      return { type: "promote", request };
  }
}
