/**
 * Conversion between the served versions of the Database API, hub-and-spoke
 * through v1, as the conversion webhook runs it.
 *
 * ## Guarantees
 *
 * Lossless round trips: v1 → v1beta1 → v1, v1 → v1alpha1 → v1 and
 * v1alpha1 → v1 → v1alpha1 return a deeply equal object. What a version
 * cannot express is kept in one annotation, `vigil.dev/conversion-data`, a JSON
 * object with one key per side:
 *
 * - `"v1"`: hub fields the spoke lacks (`image` for v1beta1; everything but
 *   replicas/version/storageSize/backupSchedule for v1alpha1, and a
 *   backupSchedule other than `@daily`).
 * - `"v1alpha1"`: v1alpha1 spellings v1 cannot keep (`size: "03"`,
 *   `backup: false`).
 * - `"created"`: whether conversion created `metadata` or
 *   `metadata.annotations`, so they are removed again on the way back.
 *
 * A stored value is only restored while the field it was derived from still
 * matches (a kept `size: "03"` is dropped once replicas is no longer 3; a kept
 * schedule is dropped once `backup` is false), so edits made in another
 * version win. Status is the same in every version and is copied unchanged.
 *
 * ## Errors
 *
 * Throws {@linkcode ConversionError} for an unknown `apiVersion`. A malformed
 * annotation is treated as empty rather than failing reads.
 *
 * @module
 */

import { CONVERSION_ANNOTATION } from "./schema_common.ts";
import { type DatabaseSpecV1, type DatabaseV1, V1 } from "./database_v1.ts";
import { type DatabaseSpecV1beta1, type DatabaseV1beta1, V1BETA1 } from "./database_v1beta1.ts";
import { type DatabaseSpecV1alpha1, type DatabaseV1alpha1, V1ALPHA1 } from "./database_v1alpha1.ts";

/** A Database in any served version. */
export type AnyDatabase = DatabaseV1 | DatabaseV1beta1 | DatabaseV1alpha1;

/** The apiVersions conversion understands. */
export type DatabaseApiVersion = typeof V1 | typeof V1BETA1 | typeof V1ALPHA1;

/** Raised when an object cannot be converted. */
export class ConversionError extends TypeError {
  /** Creates the error; `reason` states the offending state. */
  constructor(reason: string, options?: ErrorOptions) {
    super(`Cannot convert Database: ${reason}`, options);
    this.name = "ConversionError";
  }
}

type Json = Record<string, unknown>;
type Data = { v1?: Json; v1alpha1?: Json; created?: "metadata" | "annotations" };

const DAILY = "@daily";
/** v1 spec fields v1alpha1 cannot express (besides backupSchedule, handled apart). */
const V1_ONLY_IN_ALPHA = [
  "engine",
  "storageClassName",
  "resources",
  "config",
  "image",
  "pvcDeletionPolicy",
] as const;

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.keys(value).sort().map((k) =>
      `${JSON.stringify(k)}:${stableStringify((value as Json)[k])}`
    );
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}

function readData(obj: AnyDatabase): Data {
  const text = obj.metadata?.annotations?.[CONVERSION_ANNOTATION];
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? parsed as Data
      : {};
  } catch {
    return {};
  }
}

/** Stores `data` in the annotation of `obj` (mutating it), or removes it when empty. */
function writeData(obj: AnyDatabase, data: Data): void {
  const hasPayload = Object.keys(data).some((k) => k !== "created");
  const annotations = obj.metadata?.annotations;
  if (!hasPayload) {
    if (annotations === undefined || !(CONVERSION_ANNOTATION in annotations)) return;
    delete annotations[CONVERSION_ANNOTATION];
    if (data.created !== undefined && Object.keys(annotations).length === 0) {
      delete obj.metadata!.annotations;
      if (data.created === "metadata" && Object.keys(obj.metadata!).length === 0) {
        delete obj.metadata;
      }
    }
    return;
  }
  if (annotations === undefined || !(CONVERSION_ANNOTATION in annotations)) {
    if (obj.metadata === undefined) data.created = "metadata";
    else if (annotations === undefined) data.created = "annotations";
  }
  obj.metadata ??= {};
  obj.metadata.annotations ??= {};
  obj.metadata.annotations[CONVERSION_ANNOTATION] = stableStringify(data);
}

/** Parses a v1alpha1 `size` into replicas; undefined when it is not a plain number. */
function parseSize(size: string): number | undefined {
  if (!/^[0-9]+$/.test(size)) return undefined;
  const n = Number(size);
  return Number.isSafeInteger(n) ? n : undefined;
}

function copy<T>(value: T): T {
  return structuredClone(value);
}

/** The common frame of a converted object: apiVersion, kind, metadata and status. */
function frame<T extends AnyDatabase>(obj: AnyDatabase, apiVersion: T["apiVersion"]): T {
  const out: Json = { apiVersion, kind: "Database" };
  if (obj.metadata !== undefined) out.metadata = copy(obj.metadata);
  if (obj.status !== undefined) out.status = copy(obj.status);
  return out as T;
}

function setSpec(target: AnyDatabase, source: AnyDatabase, spec: Json): void {
  if (source.spec !== undefined || Object.keys(spec).length > 0) {
    (target as Json).spec = spec;
  }
}

function betaToHub(obj: DatabaseV1beta1): DatabaseV1 {
  const hub = frame<DatabaseV1>(obj, V1);
  const data = readData(obj);
  const spec: DatabaseSpecV1 = copy(obj.spec ?? {});
  if (typeof data.v1?.image === "string") spec.image = data.v1.image;
  delete data.v1;
  setSpec(hub, obj, spec);
  writeData(hub, data);
  return hub;
}

function hubToBeta(hub: DatabaseV1): DatabaseV1beta1 {
  const beta = frame<DatabaseV1beta1>(hub, V1BETA1);
  const data = readData(hub);
  const { image, ...rest } = copy(hub.spec ?? {});
  const spec: DatabaseSpecV1beta1 = rest;
  if (image !== undefined) data.v1 = { image };
  else delete data.v1;
  setSpec(beta, hub, spec);
  writeData(beta, data);
  return beta;
}

function alphaToHub(obj: DatabaseV1alpha1): DatabaseV1 {
  const hub = frame<DatabaseV1>(obj, V1);
  const data = readData(obj);
  const kept = data.v1 ?? {};
  const alpha = obj.spec ?? {};
  const spec: Json = {};
  const alphaOnly: Json = {};
  for (const field of V1_ONLY_IN_ALPHA) {
    if (kept[field] !== undefined) spec[field] = copy(kept[field]);
  }
  if (alpha.dbVersion !== undefined) spec.version = alpha.dbVersion;
  if (alpha.size !== undefined) {
    const replicas = parseSize(alpha.size);
    if (replicas !== undefined) spec.replicas = replicas;
    if (replicas === undefined || String(replicas) !== alpha.size) alphaOnly.size = alpha.size;
  }
  if (alpha.storage !== undefined) spec.storageSize = alpha.storage;
  if (alpha.backup === true) {
    spec.backupSchedule = typeof kept.backupSchedule === "string" ? kept.backupSchedule : DAILY;
  } else if (alpha.backup === false) {
    alphaOnly.backup = false;
  }
  delete data.v1;
  if (Object.keys(alphaOnly).length > 0) data.v1alpha1 = alphaOnly;
  else delete data.v1alpha1;
  setSpec(hub, obj, spec);
  writeData(hub, data);
  return hub;
}

function hubToAlpha(hub: DatabaseV1): DatabaseV1alpha1 {
  const out = frame<DatabaseV1alpha1>(hub, V1ALPHA1);
  const data = readData(hub);
  const alphaOnly = data.v1alpha1 ?? {};
  const source = hub.spec ?? {};
  const spec: DatabaseSpecV1alpha1 = {};
  const hubOnly: Json = {};
  const keptSize = typeof alphaOnly.size === "string" ? alphaOnly.size : undefined;
  if (source.replicas !== undefined) {
    spec.size = keptSize !== undefined && parseSize(keptSize) === source.replicas
      ? keptSize
      : String(source.replicas);
  } else if (keptSize !== undefined && parseSize(keptSize) === undefined) {
    spec.size = keptSize;
  }
  if (source.version !== undefined) spec.dbVersion = source.version;
  if (source.storageSize !== undefined) spec.storage = source.storageSize;
  if (source.backupSchedule !== undefined) {
    spec.backup = true;
    if (source.backupSchedule !== DAILY) hubOnly.backupSchedule = source.backupSchedule;
  } else if (alphaOnly.backup === false) {
    spec.backup = false;
  }
  for (const field of V1_ONLY_IN_ALPHA) {
    if (source[field] !== undefined) hubOnly[field] = copy(source[field]);
  }
  delete data.v1alpha1;
  if (Object.keys(hubOnly).length > 0) data.v1 = hubOnly;
  else delete data.v1;
  setSpec(out, hub, spec as Json);
  writeData(out, data);
  return out;
}

/** Converts any served version to the hub (v1). */
export function toHub(obj: AnyDatabase): DatabaseV1 {
  switch (obj.apiVersion) {
    case V1:
      return copy(obj);
    case V1BETA1:
      return betaToHub(obj);
    case V1ALPHA1:
      return alphaToHub(obj);
    default:
      throw new ConversionError(`unknown apiVersion ${JSON.stringify((obj as Json).apiVersion)}`);
  }
}

/**
 * Converts a Database to `toApiVersion`, through v1. The input is not changed.
 *
 * @throws {ConversionError} when either apiVersion is not a served version.
 * @example
 * ```ts
 * import { convert } from "./convert.ts";
 * const alpha = convert(
 *   { apiVersion: "vigil.dev/v1", kind: "Database", spec: { replicas: 3, backupSchedule: "@daily" } },
 *   "vigil.dev/v1alpha1",
 * );
 * alpha.spec; // { size: "3", backup: true }
 * ```
 */
export function convert(obj: AnyDatabase, toApiVersion: typeof V1): DatabaseV1;
export function convert(obj: AnyDatabase, toApiVersion: typeof V1BETA1): DatabaseV1beta1;
export function convert(obj: AnyDatabase, toApiVersion: typeof V1ALPHA1): DatabaseV1alpha1;
export function convert(obj: AnyDatabase, toApiVersion: string): AnyDatabase;
export function convert(obj: AnyDatabase, toApiVersion: string): AnyDatabase {
  if (obj.apiVersion === toApiVersion) return copy(obj);
  const hub = toHub(obj);
  switch (toApiVersion) {
    case V1:
      return hub;
    case V1BETA1:
      return hubToBeta(hub);
    case V1ALPHA1:
      return hubToAlpha(hub);
    default:
      throw new ConversionError(`unknown target apiVersion ${JSON.stringify(toApiVersion)}`);
  }
}
