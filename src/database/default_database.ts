/**
 * Context defaults for a v1 Database, as the mutating webhook applies them.
 *
 * Guarantees: a value the user set is never overwritten; only missing fields
 * are returned. The result is a list of additions whose parents always exist
 * (or are added whole), so it maps one-to-one onto JSON Patch `add` operations.
 *
 * @module
 */

import { defaultVersion } from "./catalog.ts";
import { compareQuantities, isQuantity } from "./quantity.ts";
import { DEFAULT_REQUESTS, DEFAULT_STORAGE_SIZE } from "./schema_common.ts";
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
  oldObject?: DatabaseV1 | undefined;
  /** Version for a new Database of an engine; defaults to the catalog's latest stable. */
  defaultVersion?: ((engine: Engine) => string) | undefined;
}

type Resources = NonNullable<NonNullable<DatabaseV1["spec"]>["resources"]>;

function pointerOf(path: string[]): string {
  return "/" + path.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
}

function addition(path: string[], value: unknown): DefaultAddition {
  return { path: path.join("."), pointer: pointerOf(path), value };
}

/** The request default for one resource: the fixed default, or the limit when lower. */
function requestDefault(fallback: string, limit: string | number | undefined): string | number {
  if (limit === undefined || !isQuantity(String(limit))) return fallback;
  return compareQuantities(limit, fallback) < 0 ? limit : fallback;
}

function requestAdditions(resources: Resources): DefaultAddition[] {
  const base = ["spec", "resources", "requests"];
  const cpu = requestDefault(DEFAULT_REQUESTS.cpu, resources.limits?.cpu);
  const memory = requestDefault(DEFAULT_REQUESTS.memory, resources.limits?.memory);
  if (resources.requests === undefined) return [addition(base, { cpu, memory })];
  const out: DefaultAddition[] = [];
  if (resources.requests.cpu === undefined) out.push(addition([...base, "cpu"], cpu));
  if (resources.requests.memory === undefined) out.push(addition([...base, "memory"], memory));
  return out;
}

/**
 * Returns what to add to a v1 Database so that every defaultable field is set.
 *
 * Adds: `spec.version` (the old object's version on UPDATE when the engine is
 * unchanged, else the catalog's latest stable), missing resource requests when
 * `spec.resources` is given (cpu 100m, memory 256Mi, or the limit when lower),
 * and the schema defaults (engine, replicas, storageSize, pvcDeletionPolicy)
 * for objects that did not pass through the API server's defaulting.
 *
 * @example
 * ```ts
 * import { defaultDatabase } from "./default_database.ts";
 * defaultDatabase({ apiVersion: "vigil.dev/v1", kind: "Database", spec: { engine: "mysql" } })
 *   .map((a) => a.path); // ["spec.replicas", "spec.storageSize", "spec.pvcDeletionPolicy", "spec.version"]
 * ```
 */
export function defaultDatabase(obj: DatabaseV1, ctx: DefaultingContext = {}): DefaultAddition[] {
  const spec = obj.spec;
  const engine: Engine = spec?.engine ?? "postgres";
  const old = ctx.oldObject?.spec;
  const version = old?.version !== undefined && (old.engine ?? "postgres") === engine
    ? old.version
    : (ctx.defaultVersion ?? defaultVersion)(engine);
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
    if ((spec as Record<string, unknown>)[field] === undefined) {
      out.push(addition(["spec", field], value));
    }
  }
  if (spec.version === undefined) out.push(addition(["spec", "version"], version));
  if (spec.resources !== undefined) out.push(...requestAdditions(spec.resources));
  return out;
}

/** Returns a copy of `obj` with the additions applied (the input is not changed). */
export function applyDefaults<T extends object>(obj: T, additions: readonly DefaultAddition[]): T {
  const copy = structuredClone(obj) as Record<string, unknown>;
  for (const { path, value } of additions) {
    const parts = path.split(".");
    let node = copy;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (typeof next !== "object" || next === null) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    const last = parts[parts.length - 1] ?? "";
    if (node[last] === undefined) node[last] = structuredClone(value);
  }
  return copy as T;
}

/** Turns additions into JSON Patch operations for an AdmissionReview response. */
export function toJsonPatch(
  additions: readonly DefaultAddition[],
): { op: "add"; path: string; value: unknown }[] {
  return additions.map((a) => ({ op: "add", path: a.pointer, value: a.value }));
}
