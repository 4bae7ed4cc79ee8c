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
 * - `"v1alpha1"`: v1alpha1 values v1 cannot keep (`size: "03"`,
 *   `backup: false`, and any value that is not v1alpha1 at all).
 * - `"created"`: whether conversion created `metadata` or
 *   `metadata.annotations`, so they are removed again on the way back.
 *
 * A stored value is only restored while the field it was derived from still
 * matches (a kept `size: "03"` is dropped once replicas is no longer 3; a kept
 * schedule is dropped once `backup` is false), so edits made in another
 * version win; such a stale entry is dropped, never applied. Status is the
 * same in every version and is copied unchanged.
 *
 * ## Untrusted input: carried, never defaulted
 *
 * The apiserver converts a write to v1 for the mutating webhook *before* it
 * validates the object against the schema of the version it was sent in, so
 * conversion sees whatever a client sent. It never turns a value it cannot
 * map into a default: a `size` that is no decimal string, a `backup` that is
 * no boolean, a spec that is no object, values of the wrong type are all
 * carried through v1 unchanged and come back exactly as sent, for that
 * version's schema to refuse naming its own field. Every `size` the
 * v1alpha1 schema accepts converts to replicas 1–10.
 *
 * ## Errors
 *
 * Throws {@linkcode ConversionError} for an unknown `apiVersion`, and for a
 * `vigil.dev/conversion-data` annotation that is not what Vigil writes on an
 * object of that version (not JSON, not an object, unknown parts or keys):
 * reading it as empty would put defaults where the kept values were. The
 * validating webhook refuses such an annotation on every write, so it can
 * only be stored while Vigil's webhooks are not running; reads through v1
 * (the storage version) never convert, so it can always be removed there.
 *
 * @module
 */

import { z } from "zod";
import { ConversionError } from "../kube/errors.ts";
import { CONVERSION_ANNOTATION } from "./schema_common.ts";
import { type DatabaseSpecV1, type DatabaseV1, V1 } from "./database_v1.ts";
import { type DatabaseSpecV1beta1, type DatabaseV1beta1, V1BETA1 } from "./database_v1beta1.ts";
import { type DatabaseV1alpha1, V1ALPHA1 } from "./database_v1alpha1.ts";

/** A Database in any served version. */
export type AnyDatabase = DatabaseV1 | DatabaseV1beta1 | DatabaseV1alpha1;

/** The apiVersions conversion understands. */
export type DatabaseApiVersion = typeof V1 | typeof V1BETA1 | typeof V1ALPHA1;

/** Raised when an object cannot be converted (the one class for it, from `src/kube`). */
export { ConversionError };

/** A {@linkcode ConversionError} for a Database: "Cannot convert Database: <reason>". */
function refuse(reason: string): ConversionError {
  return new ConversionError(`Cannot convert Database: ${reason}`);
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

/** A part of the annotation: only these keys, any JSON values (carried verbatim). */
const part = (keys: readonly string[]) =>
  z.strictObject(Object.fromEntries(keys.map((k) => [k, z.unknown().optional()]))).optional();
const created = z.enum(["metadata", "annotations"]).optional();
/**
 * What the annotation may hold on an object of each version. Values are not
 * judged here: conversion runs before the apiserver's schema validation (the
 * mutating webhook asks for v1), so it carries whatever it finds for the
 * schema and the validating webhook to refuse where it lands.
 */
const DATA_SCHEMAS: Readonly<Record<DatabaseApiVersion, z.ZodType>> = {
  [V1]: z.strictObject({ v1alpha1: part(["size", "backup"]), created }),
  [V1BETA1]: z.strictObject({ v1: part(["image"]), v1alpha1: part(["size", "backup"]), created }),
  [V1ALPHA1]: z.strictObject({ v1: part([...V1_ONLY_IN_ALPHA, "backupSchedule"]), created }),
};

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

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

function cut(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Reads the `vigil.dev/conversion-data` annotation of an object as its
 * version's conversion would: `{}` when there is none.
 *
 * @throws {ConversionError} naming the annotation when it is not what Vigil
 * writes on an object of that version (not JSON, not an object, unknown
 * parts or keys).
 */
export function readConversionData(obj: AnyDatabase): Data {
  const text: unknown = obj.metadata?.annotations?.[CONVERSION_ANNOTATION];
  if (text === undefined) return {};
  const where = `metadata.annotations[${CONVERSION_ANNOTATION}]`;
  const schema = DATA_SCHEMAS[obj.apiVersion as DatabaseApiVersion];
  if (schema === undefined) {
    throw refuse(`unknown apiVersion ${JSON.stringify(obj.apiVersion)}`);
  }
  const shown = JSON.stringify(cut(String(text)));
  const remedy =
    "restore what Vigil wrote, or remove it through vigil.dev/v1 (which never converts)";
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(text));
  } catch {
    throw refuse(`${where}: ${shown} is not JSON; ${remedy}`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const at = issue === undefined || issue.path.length === 0 ? "" : ` at ${issue.path.join(".")}`;
    throw refuse(
      `${where}: ${shown} is not conversion data Vigil writes on a ${obj.apiVersion} object ` +
        `(${issue?.message ?? "invalid"}${at}); ${remedy}`,
    );
  }
  // The validated JSON itself, not zod's copy: its keys are exactly what was written.
  return parsed as Data;
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

/**
 * Replicas from a v1alpha1 `size` that is a decimal string, whatever its
 * range (the v1alpha1 schema refuses all but 1–10, after conversion has
 * run); `undefined` when it is not one, and then the value is carried, not
 * replaced.
 */
function sizeToReplicas(size: unknown): number | undefined {
  return typeof size === "string" && /^[0-9]{1,15}$/.test(size) ? Number(size) : undefined;
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

/**
 * A spec that is not an object cannot be mapped: it is carried verbatim, with
 * the metadata untouched, for the target version's schema to refuse.
 */
function passThrough<T extends AnyDatabase>(obj: AnyDatabase, apiVersion: T["apiVersion"]): T {
  const out = frame<T>(obj, apiVersion);
  if (obj.spec !== undefined) (out as Json).spec = copy(obj.spec);
  return out;
}

function betaToHub(obj: DatabaseV1beta1): DatabaseV1 {
  if (!isObject(obj.spec) && obj.spec !== undefined) return passThrough(obj, V1);
  const hub = frame<DatabaseV1>(obj, V1);
  const data = readConversionData(obj);
  const spec: DatabaseSpecV1 = copy(obj.spec ?? {});
  if (data.v1?.image !== undefined) spec.image = copy(data.v1.image) as string;
  delete data.v1;
  setSpec(hub, obj, spec);
  writeData(hub, data);
  return hub;
}

function hubToBeta(hub: DatabaseV1): DatabaseV1beta1 {
  if (!isObject(hub.spec) && hub.spec !== undefined) return passThrough(hub, V1BETA1);
  const beta = frame<DatabaseV1beta1>(hub, V1BETA1);
  const data = readConversionData(hub);
  const { image, ...rest } = copy(hub.spec ?? {});
  const spec: DatabaseSpecV1beta1 = rest;
  if (image !== undefined) data.v1 = { image };
  else delete data.v1;
  setSpec(beta, hub, spec);
  writeData(beta, data);
  return beta;
}

function alphaToHub(obj: DatabaseV1alpha1): DatabaseV1 {
  if (!isObject(obj.spec) && obj.spec !== undefined) return passThrough(obj, V1);
  const hub = frame<DatabaseV1>(obj, V1);
  const data = readConversionData(obj);
  const kept = data.v1 ?? {};
  const alpha: Json = obj.spec ?? {};
  const spec: Json = {};
  const alphaOnly: Json = {};
  for (const field of V1_ONLY_IN_ALPHA) {
    if (kept[field] !== undefined) spec[field] = copy(kept[field]);
  }
  if (alpha.dbVersion !== undefined) spec.version = copy(alpha.dbVersion);
  if (alpha.size !== undefined) {
    const replicas = sizeToReplicas(alpha.size);
    if (replicas !== undefined) spec.replicas = replicas;
    // A spelling v1 cannot keep ("03"), or a value that is no number at all, which
    // goes back unchanged for the v1alpha1 schema to refuse: never a default instead.
    if (replicas === undefined || String(replicas) !== alpha.size) {
      alphaOnly.size = copy(alpha.size);
    }
  }
  if (alpha.storage !== undefined) spec.storageSize = copy(alpha.storage);
  if (alpha.backup === true) {
    spec.backupSchedule = kept.backupSchedule !== undefined ? copy(kept.backupSchedule) : DAILY;
  } else if (alpha.backup !== undefined) {
    alphaOnly.backup = copy(alpha.backup);
  }
  delete data.v1;
  if (Object.keys(alphaOnly).length > 0) data.v1alpha1 = alphaOnly;
  else delete data.v1alpha1;
  setSpec(hub, obj, spec);
  writeData(hub, data);
  return hub;
}

function hubToAlpha(hub: DatabaseV1): DatabaseV1alpha1 {
  if (!isObject(hub.spec) && hub.spec !== undefined) return passThrough(hub, V1ALPHA1);
  const out = frame<DatabaseV1alpha1>(hub, V1ALPHA1);
  const data = readConversionData(hub);
  const alphaOnly = data.v1alpha1 ?? {};
  const source: Json = hub.spec ?? {};
  const spec: Json = {};
  const hubOnly: Json = {};
  const keptSize = alphaOnly.size;
  if (keptSize !== undefined && sizeToReplicas(keptSize) === undefined) {
    spec.size = copy(keptSize);
  } else if (source.replicas !== undefined) {
    spec.size = keptSize !== undefined && sizeToReplicas(keptSize) === source.replicas
      ? keptSize
      : typeof source.replicas === "number"
      ? String(source.replicas)
      : copy(source.replicas);
  }
  if (source.version !== undefined) spec.dbVersion = copy(source.version);
  if (source.storageSize !== undefined) spec.storage = copy(source.storageSize);
  if (source.backupSchedule !== undefined) {
    spec.backup = true;
    if (source.backupSchedule !== DAILY) hubOnly.backupSchedule = copy(source.backupSchedule);
  } else if (alphaOnly.backup !== undefined && alphaOnly.backup !== true) {
    // `true` with no schedule is stale: turning it into @daily would invent a schedule.
    spec.backup = copy(alphaOnly.backup);
  }
  for (const field of V1_ONLY_IN_ALPHA) {
    if (source[field] !== undefined) hubOnly[field] = copy(source[field]);
  }
  delete data.v1alpha1;
  if (Object.keys(hubOnly).length > 0) data.v1 = hubOnly;
  else delete data.v1;
  setSpec(out, hub, spec);
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
      throw refuse(`unknown apiVersion ${JSON.stringify((obj as Json).apiVersion)}`);
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
      throw refuse(`unknown target apiVersion ${JSON.stringify(toApiVersion)}`);
  }
}
