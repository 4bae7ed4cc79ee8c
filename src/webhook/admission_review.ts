/**
 * AdmissionReview v1 (`admission.k8s.io/v1`): request decoding and the
 * response builders a handler returns, after controller-runtime's
 * `webhook/admission` (`Allowed`, `Denied`, `Patched`, `Errored`).
 *
 * @module
 */
import jsonPatch from "fast-json-patch";
import { oneLine } from "./_issues.ts";
import { encodeBase64 } from "./_base64.ts";

export { encodeBase64 };

// The request side lives in its own module; re-exported here so that
// importers keep one place for reviews.
export {
  ADMISSION_API_VERSION,
  ADMISSION_OPERATIONS,
  type AdmissionRequest,
  checkEnvelope,
  decodeAdmissionReview,
  type GroupVersionKind,
  type GroupVersionResource,
  type KubeObject,
  type UserInfo,
} from "./admission_request.ts";
import {
  ADMISSION_API_VERSION,
  type AdmissionRequest,
  type KubeObject,
} from "./admission_request.ts";

/** One cause of a denial (`status.details.causes[]`), e.g. one invalid field. */
export interface StatusCause {
  /** Field path, e.g. `spec.version`. */
  field?: string;
  /** What is wrong and what would be accepted. */
  message?: string;
  /** Machine-readable reason, e.g. `FieldValueNotSupported`. */
  reason?: string;
}

/** A `metav1.Status` as carried in `AdmissionResponse.status`. */
export interface Status {
  /** `"Success"` or `"Failure"`. */
  status?: "Success" | "Failure";
  /** HTTP-style code: 200, 400, 403, 422, 500… */
  code?: number;
  /** Human-readable message; the API server shows it to the user. */
  message?: string;
  /** Machine-readable reason (`Forbidden`, `Invalid`, …). */
  reason?: string;
  /** Per-field causes. */
  details?: { causes?: StatusCause[] };
}

/** `AdmissionReview.response` without `uid`, which the server fills in. */
export interface AdmissionResponse {
  /** Whether the request is admitted. */
  allowed: boolean;
  /** Result detail; required in practice for denials. */
  status?: Status;
  /** Base64 of an RFC 6902 JSON Patch. */
  patch?: string;
  /** Always `"JSONPatch"` when `patch` is set. */
  patchType?: "JSONPatch";
  /** Warnings shown to the client (kubectl prints them). */
  warnings?: string[];
  /** Annotations added to the audit event. */
  auditAnnotations?: Record<string, string>;
}

/** A complete AdmissionReview response body. */
export interface AdmissionReviewResponse {
  /** `admission.k8s.io/v1`. */
  apiVersion: typeof ADMISSION_API_VERSION;
  /** `AdmissionReview`. */
  kind: "AdmissionReview";
  /** The response, carrying the request's uid. */
  response: AdmissionResponse & { uid: string };
}

/**
 * Answers one admission request.
 *
 * `signal` aborts when the handler's deadline passes or the client goes away;
 * a handler that throws is answered with `errored(500, …)`.
 */
export type AdmissionHandler = (
  req: AdmissionRequest,
  signal: AbortSignal,
) => Promise<AdmissionResponse>;

/** Options of {@linkcode denied}. */
export interface DeniedOptions {
  /** Warnings returned with the denial. */
  warnings?: string[];
  /** Status reason. Default: derived from the code (`403` → `Forbidden`, `422` → `Invalid`…). */
  reason?: string;
  /** Per-field causes, returned as `status.details.causes`. */
  causes?: StatusCause[];
}

const REASONS: Readonly<Record<number, string>> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  410: "Gone",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/**
 * Admits the request unchanged.
 *
 * @example
 * ```ts ignore
 * const handler: AdmissionHandler = async () => allowed(["spec.image is deprecated"]);
 * ```
 */
export function allowed(warnings?: readonly string[]): AdmissionResponse {
  return withWarnings({ allowed: true, status: { code: 200 } }, warnings);
}

/**
 * Rejects the request. `message` should name the field, the bad value and
 * what would be accepted; the API server shows it to the user.
 *
 * @example
 * ```ts ignore
 * denied(422, 'spec.engine: Unsupported value: "oracle": supported values: "postgres", "mysql"', {
 *   causes: [{ field: "spec.engine", reason: "FieldValueNotSupported", message: "…" }],
 * });
 * ```
 */
export function denied(
  code: number,
  message: string,
  options: DeniedOptions = {},
): AdmissionResponse {
  const status: Status = { status: "Failure", code, message };
  const reason = options.reason ?? REASONS[code];
  if (reason !== undefined) status.reason = reason;
  if (options.causes !== undefined && options.causes.length > 0) {
    status.details = { causes: options.causes.map((cause) => ({ ...cause })) };
  }
  return withWarnings({ allowed: false, status }, options.warnings);
}

/**
 * Admits the request with the changes from `original` to `mutated`, as an
 * RFC 6902 JSON Patch (`fast-json-patch`'s `compare`), base64-encoded.
 *
 * Both objects are compared as JSON (`undefined` fields vanish). When nothing
 * changed the response carries no patch.
 *
 * @throws {TypeError} when either object cannot be serialized to JSON.
 */
export function patched(
  original: KubeObject,
  mutated: KubeObject,
  warnings?: readonly string[],
): AdmissionResponse {
  const operations = jsonPatch.compare(asJson(original), asJson(mutated));
  if (operations.length === 0) return allowed(warnings);
  const response: AdmissionResponse = {
    allowed: true,
    status: { code: 200 },
    patchType: "JSONPatch",
    patch: encodeBase64(new TextEncoder().encode(JSON.stringify(operations))),
  };
  return withWarnings(response, warnings);
}

/** One RFC 6902 operation, as {@linkcode patchedWith} sends it. */
export interface JsonPatchOperation {
  /** `add`, `remove`, `replace`, `move`, `copy` or `test`. */
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  /** JSON Pointer of the target. */
  path: string;
  /** Value for `add`, `replace` and `test`. */
  value?: unknown;
  /** Source pointer for `move` and `copy`. */
  from?: string;
}

/**
 * Admits the request with exactly `operations` as its JSON Patch
 * (controller-runtime's `Patched`). Unlike {@linkcode patched} it never walks
 * the object, so a client's deeply nested or huge value costs nothing; only
 * the operations are serialized. No operations means no patch.
 *
 * @example
 * ```ts ignore
 * patchedWith([{ op: "add", path: "/spec/version", value: "17.5" }]);
 * ```
 */
export function patchedWith(
  operations: readonly JsonPatchOperation[],
  warnings?: readonly string[],
): AdmissionResponse {
  if (operations.length === 0) return allowed(warnings);
  const response: AdmissionResponse = {
    allowed: true,
    status: { code: 200 },
    patchType: "JSONPatch",
    patch: encodeBase64(new TextEncoder().encode(JSON.stringify(operations))),
  };
  return withWarnings(response, warnings);
}

/** Rejects the request because the webhook failed, with `err`'s message. */
export function errored(code: number, err: unknown): AdmissionResponse {
  const message = err instanceof Error ? err.message : String(err);
  const status: Status = { status: "Failure", code, message: oneLine(message) };
  const reason = REASONS[code];
  if (reason !== undefined) status.reason = reason;
  return { allowed: false, status };
}

/** Wraps a response into an AdmissionReview body answering request `uid`. */
export function review(uid: string, response: AdmissionResponse): AdmissionReviewResponse {
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: "AdmissionReview",
    response: { ...response, uid },
  };
}

function withWarnings(
  response: AdmissionResponse,
  warnings?: readonly string[],
): AdmissionResponse {
  if (warnings !== undefined && warnings.length > 0) response.warnings = [...warnings];
  return response;
}

function asJson(value: KubeObject): KubeObject {
  return JSON.parse(JSON.stringify(value)) as KubeObject;
}
