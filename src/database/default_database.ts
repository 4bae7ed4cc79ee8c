/**
 * Context defaults for a v1 Database, as the mutating webhook applies them.
 *
 * ## Guarantees
 *
 * - A value the user set is never overwritten; only missing fields are
 *   returned, as additions whose parent object exists (or that add the
 *   parent whole), so they map one-to-one onto JSON Patch `add` operations.
 * - The input is untrusted: the mutating webhook runs before the CRD schema
 *   has checked anything. Every field is read through zod; a field that cannot
 *   be read (wrong type, unknown engine, a limit that is not a quantity) gets
 *   no default that depends on it and is left unchanged, so that validation
 *   refuses it with the field, the value and what is accepted. Never throws.
 *
 * @module
 */

import { z } from "zod";
import { defaultVersion, ENGINES } from "./catalog.ts";
import { compareQuantities, isQuantity, QUANTITY_PATTERN } from "./quantity.ts";
import { DEFAULT_REQUESTS, DEFAULT_STORAGE_SIZE, versionField } from "./schema_common.ts";
import type { DatabaseV1 } from "./database_v1.ts";
import type { Engine } from "./engine_parameters.ts";

/** One field to add: a dotted path for people, a JSON Pointer for patches, and the value. */
export interface DefaultAddition {
  /** Field path, e.g. `spec.version`. */
  path: string;
  /** JSON Pointer of the same field, e.g. `/spec/version`. */
  pointer: string;
  /** Value to add at that path. */
  value: unknown;
}

/** Inputs defaulting needs besides the object. */
export interface DefaultingContext {
  /** The stored object on UPDATE: an unset version keeps the version it runs. */
  oldObject?: DatabaseV1 | Record<string, unknown> | undefined;
  /** Version for a new Database of an engine; defaults to the catalog's latest stable. */
  defaultVersion?: ((engine: Engine) => string) | undefined;
}

/** Any JSON object (not an array, not null); its fields stay unknown until read. */
const jsonObject = z.custom<Record<string, unknown>>((v) =>
  typeof v === "object" && v !== null && !Array.isArray(v)
);
const engineSchema = z.enum(ENGINES as [Engine, ...Engine[]]);
/** A quantity defaulting can compare: what the schema accepts and the parser can read. */
const readableQuantity = z.union([
  z.int().min(0),
  z.string().max(64).regex(new RegExp(QUANTITY_PATTERN)).refine(isQuantity),
]);

function pointerOf(path: string[]): string {
  return "/" + path.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
}

function addition(path: string[], value: unknown): DefaultAddition {
  return { path: path.join("."), pointer: pointerOf(path), value };
}

/**
 * The request default for one resource: the fixed default, or the limit when
 * lower; `undefined` when the limit is set but unreadable (no default then).
 */
function requestDefault(fallback: string, limit: unknown): string | number | undefined {
  if (limit === undefined) return fallback;
  const readable = readableQuantity.safeParse(limit);
  if (!readable.success) return undefined;
  return compareQuantities(readable.data, fallback) < 0 ? readable.data : fallback;
}

function requestAdditions(resources: Record<string, unknown>): DefaultAddition[] {
  const base = ["spec", "resources", "requests"];
  const limits = resources.limits === undefined ? {} : jsonObject.safeParse(resources.limits).data;
  if (limits === undefined) return []; // unreadable limits: nothing to base requests on
  const wanted: [string, string | number | undefined][] = [
    ["cpu", requestDefault(DEFAULT_REQUESTS.cpu, limits.cpu)],
    ["memory", requestDefault(DEFAULT_REQUESTS.memory, limits.memory)],
  ];
  if (resources.requests === undefined) {
    const value = Object.fromEntries(wanted.filter(([, v]) => v !== undefined));
    return Object.keys(value).length === 0 ? [] : [addition(base, value)];
  }
  const requests = jsonObject.safeParse(resources.requests).data;
  if (requests === undefined) return [];
  return wanted
    .filter(([name, value]) => requests[name] === undefined && value !== undefined)
    .map(([name, value]) => addition([...base, name], value));
}

/** The engine a spec names: postgres when unset, `undefined` when it names none Vigil knows. */
function engineOf(spec: Record<string, unknown> | undefined): Engine | undefined {
  if (spec?.engine === undefined) return "postgres";
  return engineSchema.safeParse(spec.engine).data;
}

/** The version an object's spec runs, when it is readable. */
function runningVersion(old: unknown, engine: Engine): string | undefined {
  const spec = jsonObject.safeParse(jsonObject.safeParse(old).data?.spec).data;
  if (spec === undefined || engineOf(spec) !== engine) return undefined;
  return versionField.safeParse(spec.version).data;
}

/**
 * Returns what to add to a v1 Database so that every defaultable field is set.
 *
 * Adds: `spec.version` (the old object's version on UPDATE when the engine is
 * unchanged, else the catalog's latest stable; nothing when the engine is not
 * one Vigil knows), missing resource requests when `spec.resources` is given
 * (cpu 100m, memory 256Mi, or the limit when lower; nothing for a resource
 * whose limit is not a readable quantity), and the schema defaults (engine,
 * replicas, storageSize, pvcDeletionPolicy) for objects that did not pass
 * through the API server's defaulting. A `spec` that is not an object gets
 * nothing. Reads `obj` as untrusted JSON and never throws.
 *
 * @example
 * ```ts
 * import { defaultDatabase } from "./default_database.ts";
 * defaultDatabase({ apiVersion: "vigil.dev/v1", kind: "Database", spec: { engine: "mysql" } })
 *   .map((a) => a.path); // ["spec.replicas", "spec.storageSize", "spec.pvcDeletionPolicy", "spec.version"]
 * ```
 */
export function defaultDatabase(
  obj: DatabaseV1 | Record<string, unknown>,
  ctx: DefaultingContext = {},
): DefaultAddition[] {
  const given = (obj as Record<string, unknown>).spec;
  const spec = given === undefined ? undefined : jsonObject.safeParse(given).data;
  if (given !== undefined && spec === undefined) return [];
  const engine = engineOf(spec);
  const version = engine === undefined
    ? undefined
    : runningVersion(ctx.oldObject, engine) ?? (ctx.defaultVersion ?? defaultVersion)(engine);
  const schemaDefaults: [string, unknown][] = [
    ["engine", "postgres"],
    ["replicas", 1],
    ["storageSize", DEFAULT_STORAGE_SIZE],
    ["pvcDeletionPolicy", "Retain"],
  ];
  if (spec === undefined) {
    return [addition(["spec"], { ...Object.fromEntries(schemaDefaults), version })];
  }
  const out: DefaultAddition[] = [];
  for (const [field, value] of schemaDefaults) {
    if (spec[field] === undefined) out.push(addition(["spec", field], value));
  }
  if (spec.version === undefined && version !== undefined) {
    out.push(addition(["spec", "version"], version));
  }
  if (spec.resources !== undefined) {
    const resources = jsonObject.safeParse(spec.resources).data;
    if (resources !== undefined) out.push(...requestAdditions(resources));
  }
  return out;
}

/**
 * Returns a copy of `obj` with the additions applied (the input is not
 * changed). An addition whose parent is missing or not an object is skipped,
 * as is one whose field is already set: nothing the user sent is replaced.
 */
export function applyDefaults<T extends object>(obj: T, additions: readonly DefaultAddition[]): T {
  const copy = structuredClone(obj) as Record<string, unknown>;
  for (const { path, value } of additions) {
    const parts = path.split(".");
    let node: unknown = copy;
    for (const part of parts.slice(0, -1)) {
      node = jsonObject.safeParse(node).data?.[part];
    }
    const parent = jsonObject.safeParse(node).data;
    const last = parts[parts.length - 1] ?? "";
    if (parent !== undefined && parent[last] === undefined) parent[last] = structuredClone(value);
  }
  return copy as T;
}

/** Turns additions into JSON Patch operations for an AdmissionReview response. */
export function toJsonPatch(
  additions: readonly DefaultAddition[],
): { op: "add"; path: string; value: unknown }[] {
  return additions.map((a) => ({ op: "add", path: a.pointer, value: a.value }));
}
