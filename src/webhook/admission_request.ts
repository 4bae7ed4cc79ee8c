/**
 * The AdmissionReview v1 request envelope and its decoder, written by hand.
 *
 * Every other untrusted input of Vigil is read with zod; this one is not,
 * because it is read once per admission request on every replica, on the
 * path the API server waits on: with zod the decode was about 8% of the
 * webhook's CPU per request under load (issue 14). The decoder is strict in
 * the same way the zod schema it replaces was — same required fields, same
 * types, unknown fields of the envelope dropped — and a mutating webhook runs
 * before any schema validation, so every body is treated as hostile: nothing
 * is assumed about a value before its type is checked, and no value is walked
 * further than the envelope (`object`, `oldObject` and `options` are checked
 * to be objects and handed on as parsed, not copied).
 *
 * ## Errors
 * The first violation found throws a {@linkcode ReviewDecodeError} of one
 * line naming the field path, what is accepted there and the value received,
 * e.g. `Cannot decode AdmissionReview: request.operation: must be one of
 * "CREATE", "UPDATE", "DELETE", "CONNECT", got "PATCH"`.
 *
 * @module
 */
import { ReviewDecodeError } from "./errors.ts";

/** The only AdmissionReview version this package speaks. */
export const ADMISSION_API_VERSION = "admission.k8s.io/v1";

/** The operations an admission request can carry. */
export const ADMISSION_OPERATIONS = ["CREATE", "UPDATE", "DELETE", "CONNECT"] as const;

/** A Kubernetes object as JSON. */
export type KubeObject = Record<string, unknown>;

/** `metav1.GroupVersionKind`. */
export interface GroupVersionKind {
  /** API group, `""` for the core group. */
  group: string;
  /** API version, e.g. `v1`. */
  version: string;
  /** Kind, e.g. `Database`. */
  kind: string;
}

/** `metav1.GroupVersionResource`. */
export interface GroupVersionResource {
  /** API group, `""` for the core group. */
  group: string;
  /** API version, e.g. `v1`. */
  version: string;
  /** Resource, e.g. `databases`. */
  resource: string;
}

/** `authenticationv1.UserInfo` of the requesting user. */
export interface UserInfo {
  /** User name. */
  username?: string;
  /** User UID. */
  uid?: string;
  /** Groups the user belongs to. */
  groups?: string[];
  /** Extra attributes from the authenticator. */
  extra?: Record<string, string[]>;
}

/** One admission request, as decoded from an AdmissionReview. */
export interface AdmissionRequest {
  /** Identifier of this request; the response must carry it. Never empty. */
  uid: string;
  /** Kind of the object as the webhook registered for it. */
  kind: GroupVersionKind;
  /** Resource being requested. */
  resource: GroupVersionResource;
  /** Subresource, e.g. `status` or `scale`. */
  subResource?: string;
  /** Kind of the original request, when it differs after conversion. */
  requestKind?: GroupVersionKind;
  /** Resource of the original request. */
  requestResource?: GroupVersionResource;
  /** Subresource of the original request. */
  requestSubResource?: string;
  /** Name of the object, when known. */
  name?: string;
  /** Namespace of the object, when namespaced. */
  namespace?: string;
  /** The operation. */
  operation: (typeof ADMISSION_OPERATIONS)[number];
  /** Who asked. */
  userInfo: UserInfo;
  /** The new object (CREATE, UPDATE, CONNECT); null for DELETE. */
  object?: KubeObject | null;
  /** The existing object (UPDATE, DELETE); null for CREATE. */
  oldObject?: KubeObject | null;
  /** Whether the request is a dry run. */
  dryRun?: boolean;
  /** The operation's options (`CreateOptions`…). */
  options?: KubeObject | null;
}

/**
 * Checks `apiVersion` and `kind` of a review body.
 *
 * @throws {ReviewDecodeError} when the body is not an object of that version and kind.
 */
export function checkEnvelope(body: unknown, apiVersion: string, kind: string): void {
  if (!isRecord(body)) {
    throw new ReviewDecodeError(`Cannot decode ${kind}: body is not a JSON object`);
  }
  if (body.apiVersion !== apiVersion || body.kind !== kind) {
    const got = `${describe(body.apiVersion)}, kind ${describe(body.kind)}`;
    throw new ReviewDecodeError(
      `Cannot decode ${kind}: got apiVersion ${got}; expected apiVersion "${apiVersion}", kind "${kind}"`,
    );
  }
}

/**
 * Decodes a parsed AdmissionReview body into its request.
 *
 * Guarantees: a returned request has a non-empty `uid`, a known `operation`,
 * `kind`, `resource` and `userInfo` of the right shapes, object-or-null
 * `object`/`oldObject`/`options`, and only the fields of
 * {@linkcode AdmissionRequest} (others are dropped).
 *
 * @throws {ReviewDecodeError} with a one-line reason naming the field, what
 * it accepts and the value received, when `body` is not an
 * `admission.k8s.io/v1` AdmissionReview or a field has the wrong type.
 */
export function decodeAdmissionReview(body: unknown): AdmissionRequest {
  checkEnvelope(body, ADMISSION_API_VERSION, "AdmissionReview");
  const r = (body as Record<string, unknown>).request;
  if (!isRecord(r)) throw invalid("request", "must be an object", r);
  const uid = r.uid;
  if (typeof uid !== "string" || uid.length === 0) {
    throw invalid("request.uid", "must be a non-empty string", uid);
  }
  const operation = r.operation;
  if (!ADMISSION_OPERATIONS.includes(operation as AdmissionRequest["operation"])) {
    throw invalid("request.operation", `must be one of ${OPERATIONS}`, operation);
  }
  const out: AdmissionRequest = {
    uid,
    kind: gvk(r.kind, "request.kind"),
    resource: gvr(r.resource, "request.resource"),
    operation: operation as AdmissionRequest["operation"],
    userInfo: userInfo(r.userInfo),
  };
  if (r.subResource !== undefined) out.subResource = string(r.subResource, "request.subResource");
  if (r.requestKind !== undefined) out.requestKind = gvk(r.requestKind, "request.requestKind");
  if (r.requestResource !== undefined) {
    out.requestResource = gvr(r.requestResource, "request.requestResource");
  }
  if (r.requestSubResource !== undefined) {
    out.requestSubResource = string(r.requestSubResource, "request.requestSubResource");
  }
  if (r.name !== undefined) out.name = string(r.name, "request.name");
  if (r.namespace !== undefined) out.namespace = string(r.namespace, "request.namespace");
  if (r.object !== undefined) out.object = objectOrNull(r.object, "request.object");
  if (r.oldObject !== undefined) out.oldObject = objectOrNull(r.oldObject, "request.oldObject");
  if (r.dryRun !== undefined) {
    if (typeof r.dryRun !== "boolean") {
      throw invalid("request.dryRun", "must be a boolean", r.dryRun);
    }
    out.dryRun = r.dryRun;
  }
  if (r.options !== undefined) out.options = objectOrNull(r.options, "request.options");
  return out;
}

const OPERATIONS = ADMISSION_OPERATIONS.map((op) => `"${op}"`).join(", ");
const MAX_SHOWN_CHARS = 64;

function gvk(value: unknown, path: string): GroupVersionKind {
  if (!isRecord(value)) throw invalid(path, "must be an object {group, version, kind}", value);
  return {
    group: string(value.group, `${path}.group`),
    version: string(value.version, `${path}.version`),
    kind: string(value.kind, `${path}.kind`),
  };
}

function gvr(value: unknown, path: string): GroupVersionResource {
  if (!isRecord(value)) throw invalid(path, "must be an object {group, version, resource}", value);
  return {
    group: string(value.group, `${path}.group`),
    version: string(value.version, `${path}.version`),
    resource: string(value.resource, `${path}.resource`),
  };
}

function userInfo(value: unknown): UserInfo {
  const path = "request.userInfo";
  if (!isRecord(value)) throw invalid(path, "must be an object", value);
  const out: UserInfo = {};
  if (value.username !== undefined) out.username = string(value.username, `${path}.username`);
  if (value.uid !== undefined) out.uid = string(value.uid, `${path}.uid`);
  if (value.groups !== undefined) out.groups = strings(value.groups, `${path}.groups`);
  if (value.extra !== undefined) {
    const extra = value.extra;
    if (!isRecord(extra)) throw invalid(`${path}.extra`, "must be an object", extra);
    // Checked in place: a JSON.parse result has only own, enumerable data properties.
    for (const key in extra) strings(extra[key], `${path}.extra.${key}`);
    out.extra = extra as Record<string, string[]>;
  }
  return out;
}

function string(value: unknown, path: string): string {
  if (typeof value !== "string") throw invalid(path, "must be a string", value);
  return value;
}

function strings(value: unknown, path: string): string[] {
  if (!Array.isArray(value)) throw invalid(path, "must be an array of strings", value);
  for (let i = 0; i < value.length; i++) {
    if (typeof value[i] !== "string") throw invalid(`${path}[${i}]`, "must be a string", value[i]);
  }
  return value as string[];
}

function objectOrNull(value: unknown, path: string): KubeObject | null {
  if (value === null) return null;
  if (!isRecord(value)) throw invalid(path, "must be an object or null", value);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(path: string, accepted: string, value: unknown): ReviewDecodeError {
  return new ReviewDecodeError(
    `Cannot decode AdmissionReview: ${oneLinePath(path)}: ${accepted}, got ${describe(value)}`,
  );
}

/** A path built from a client's key stays one short line. */
function oneLinePath(path: string): string {
  const flat = path.replace(/\s+/g, " ");
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}

/** The received value, short and on one line: strings quoted and cut, containers by kind and size. */
function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") {
    const shown = value.length > MAX_SHOWN_CHARS ? `${value.slice(0, MAX_SHOWN_CHARS)}…` : value;
    return JSON.stringify(shown).replace(/\s+/g, " ");
  }
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}
