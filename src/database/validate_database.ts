/**
 * Validation of a v1 Database, as the validating webhook runs it.
 *
 * It repeats what the CRD's schema and CEL rules check (so a request that
 * bypasses them, or a unit test, gets the same answers) and adds what needs
 * code or cluster state: the version catalog and upgrade path, engine
 * parameter names and values, cron syntax, and StorageClass expansion.
 *
 * Guarantees: pure (cluster state comes through `ctx`), never throws on bad
 * input, and reports every problem at once, each with its field path.
 *
 * @module
 */

import { z } from "zod";
import {
  allowedTargets,
  checkUpgrade,
  ENGINE_CATALOG,
  isSupportedVersion,
  supportedVersions,
} from "./catalog.ts";
import { checkCron, CRON_ACCEPTED } from "./cron.ts";
import { DatabaseSpecV1Schema, type DatabaseV1 } from "./database_v1.ts";
import { describeAccepted, type Engine, isValidParameterValue } from "./engine_parameters.ts";
import { type FieldProblem, fieldProblem } from "./field_problem.ts";
import { readConversionData } from "./convert.ts";
import { sizeField } from "./database_v1alpha1.ts";
import { compareQuantities, isQuantity, quantitySign } from "./quantity.ts";
import {
  CONVERSION_ANNOTATION,
  DEFAULT_STORAGE_SIZE,
  engineField,
  MAX_CONFIG_ENTRIES,
  storageClassNameField,
  storageSizeField,
  versionField,
} from "./schema_common.ts";

/** What a StorageClass lookup tells validation. */
export interface StorageClassInfo {
  /** The class exists (for `undefined`: the cluster has a default class). */
  exists: boolean;
  /** `allowVolumeExpansion` of the class. */
  allowVolumeExpansion: boolean;
}

/** Cluster state validation needs, injected so validation stays pure. */
export interface ValidationContext {
  /** Looks up a StorageClass by name; `undefined` asks for the cluster's default class. */
  storageClass(name: string | undefined): StorageClassInfo;
}

const QUANTITY_ACCEPTED = "a non-negative Kubernetes quantity such as 500m, 2, 256Mi or 1Gi";
const NAME_ACCEPTED =
  "a lower-case DNS label: letters, digits and '-', starting with a letter, at most 52 characters";

/** What each spec field accepts, for messages about schema violations. */
const ACCEPTED: Readonly<Record<string, string>> = {
  engine: "postgres or mysql",
  version: "a catalog version such as 17.5 (postgres) or 8.4.5 (mysql)",
  replicas: "an integer from 1 to 10",
  storageSize: "a positive Kubernetes quantity such as 10Gi or 500Mi",
  storageClassName: "a StorageClass name (lower-case DNS subdomain, at most 253 characters)",
  resources: "an object with requests and limits, each with cpu and memory quantities",
  requests: "an object with cpu and memory quantities",
  limits: "an object with cpu and memory quantities",
  cpu: QUANTITY_ACCEPTED,
  memory: QUANTITY_ACCEPTED,
  config: `a map of at most ${MAX_CONFIG_ENTRIES} engine parameters with string values`,
  backupSchedule: CRON_ACCEPTED,
  image:
    "an image reference of printable ASCII characters, without spaces, e.g. registry.example.com/mirror/postgres:17.5",
  pvcDeletionPolicy: "Retain or Delete",
  spec: "an object",
};

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function reasonOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return `is not a valid ${issue.expected}`;
    case "invalid_value":
      return "is not an accepted value";
    case "too_small":
    case "too_big":
      return "is out of range";
    case "invalid_format":
      return "has the wrong format";
    case "invalid_key":
      return "is not a valid parameter name";
    default:
      return issue.message;
  }
}

function schemaProblems(spec: unknown): { problems: FieldProblem[]; bad: Set<string> } {
  const result = DatabaseSpecV1Schema.safeParse(spec);
  const problems: FieldProblem[] = [];
  const bad = new Set<string>();
  for (const issue of result.success ? [] : result.error.issues) {
    const path = issue.path.map(String);
    bad.add(path[0] ?? "spec");
    const isKey = issue.code === "invalid_key";
    const field = path[0] === "config" ? "config" : path[path.length - 1] ?? "spec";
    const accepted = isKey
      ? "a lower-case parameter name such as max_connections"
      : Object.hasOwn(ACCEPTED, field)
      ? ACCEPTED[field] ?? ""
      : "a valid value";
    const value = isKey ? path[path.length - 1] : valueAt(spec, issue.path);
    problems.push(fieldProblem(["spec", ...path].join("."), value, reasonOf(issue), accepted));
  }
  return { problems, bad };
}

type Spec = NonNullable<DatabaseV1["spec"]>;

function checkVersion(
  spec: Spec,
  old: Spec | undefined,
  engine: Engine,
  out: FieldProblem[],
): void {
  const version = spec.version;
  if (version === undefined) {
    out.push(
      fieldProblem(
        "spec.version",
        version,
        "is required",
        `one of ${supportedVersions(engine).join(", ")}`,
      ),
    );
    return;
  }
  if (!isSupportedVersion(engine, version)) {
    out.push(
      fieldProblem(
        "spec.version",
        version,
        `is not in the ${engine} catalog`,
        `one of ${supportedVersions(engine).join(", ")}`,
      ),
    );
    return;
  }
  const from = old?.version;
  if (
    from === undefined || (old?.engine ?? "postgres") !== engine ||
    !isSupportedVersion(engine, from)
  ) return;
  const upgrade = checkUpgrade(engine, from, version);
  if (!upgrade.ok) {
    out.push(
      fieldProblem(
        "spec.version",
        version,
        `is not allowed: ${upgrade.reason}`,
        `from ${from}: one of ${allowedTargets(engine, from).join(", ")}`,
      ),
    );
  }
}

function checkStorage(
  spec: Spec,
  old: Spec | undefined,
  ctx: ValidationContext,
  out: FieldProblem[],
): void {
  const size = spec.storageSize ?? DEFAULT_STORAGE_SIZE;
  if (!isQuantity(size) || quantitySign(size) <= 0) {
    out.push(
      fieldProblem(
        "spec.storageSize",
        size,
        "is not a positive quantity",
        ACCEPTED.storageSize ?? "",
      ),
    );
    return;
  }
  const className = spec.storageClassName;
  if (old === undefined) {
    if (className !== undefined && !ctx.storageClass(className).exists) {
      out.push(
        fieldProblem(
          "spec.storageClassName",
          className,
          "does not exist",
          "the name of an existing StorageClass, or unset for the default class",
        ),
      );
    }
    return;
  }
  const oldSize = old.storageSize ?? DEFAULT_STORAGE_SIZE;
  if (!isQuantity(oldSize)) return;
  const change = compareQuantities(size, oldSize);
  if (change < 0) {
    out.push(
      fieldProblem(
        "spec.storageSize",
        size,
        "would shrink the volumes",
        `a size of at least ${oldSize}`,
      ),
    );
  } else if (change > 0) {
    const info = ctx.storageClass(className);
    const name = className === undefined ? "the default StorageClass" : `StorageClass ${className}`;
    if (!info.exists) {
      out.push(
        fieldProblem(
          "spec.storageSize",
          size,
          `cannot grow: ${name} does not exist`,
          `${oldSize} (unchanged)`,
        ),
      );
    } else if (!info.allowVolumeExpansion) {
      out.push(
        fieldProblem(
          "spec.storageSize",
          size,
          `cannot grow: ${name} does not allow volume expansion`,
          `${oldSize} (unchanged)`,
        ),
      );
    }
  }
}

function checkImmutables(spec: Spec, old: Spec | undefined, out: FieldProblem[]): void {
  if (old === undefined) return;
  const engine = spec.engine ?? "postgres";
  const oldEngine = old.engine ?? "postgres";
  if (engine !== oldEngine) {
    out.push(
      fieldProblem(
        "spec.engine",
        spec.engine,
        "cannot change (immutable)",
        `${oldEngine} (the engine the Database was created with)`,
      ),
    );
  }
  if (spec.storageClassName !== old.storageClassName) {
    out.push(
      fieldProblem(
        "spec.storageClassName",
        spec.storageClassName,
        "cannot be added, removed or changed (immutable)",
        old.storageClassName === undefined
          ? "unset, as at creation"
          : `${old.storageClassName} (the value at creation)`,
      ),
    );
  }
}

function checkResources(spec: Spec, out: FieldProblem[]): void {
  const { requests, limits } = spec.resources ?? {};
  for (const name of ["cpu", "memory"] as const) {
    const request = requests?.[name];
    const limit = limits?.[name];
    if (request === undefined || limit === undefined) continue;
    if (compareQuantities(limit, request) < 0) {
      out.push(
        fieldProblem(
          `spec.resources.limits.${name}`,
          limit,
          `is below spec.resources.requests.${name}`,
          `a quantity of at least ${request}`,
        ),
      );
    }
  }
}

function checkConfig(spec: Spec, engine: Engine, out: FieldProblem[]): void {
  const parameters = ENGINE_CATALOG[engine].parameters;
  const known = Object.keys(parameters).sort();
  for (const [key, value] of Object.entries(spec.config ?? {})) {
    // `constructor` is a valid key shape; only the table's own entries are parameters.
    const param = Object.hasOwn(parameters, key) ? parameters[key] : undefined;
    const path = `spec.config.${key}`;
    if (param === undefined) {
      out.push(
        fieldProblem(
          path,
          value,
          `is not a known ${engine} parameter`,
          `one of ${known.join(", ")}`,
        ),
      );
    } else if (!isValidParameterValue(engine, param, value)) {
      out.push(
        fieldProblem(
          path,
          value,
          `is not a valid value for ${key}`,
          describeAccepted(engine, param),
        ),
      );
    }
  }
  const walLevel = spec.config?.wal_level;
  if (engine === "postgres" && walLevel === "minimal" && (spec.replicas ?? 1) > 1) {
    out.push(
      fieldProblem(
        "spec.config.wal_level",
        walLevel,
        "leaves replicas without a WAL stream",
        "replica or logical when spec.replicas > 1",
      ),
    );
  }
}

function checkName(obj: Untrusted, out: FieldProblem[]): void {
  const name = objectName.safeParse(obj.metadata).data?.name;
  if (name === undefined) return;
  if (name.length > 52 || !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    out.push(
      fieldProblem(
        "metadata.name",
        name,
        "cannot name the Services and StatefulSet Vigil creates",
        NAME_ACCEPTED,
      ),
    );
  }
}

/** What the annotation may keep on a stored v1 object: the spellings of a valid v1alpha1 one. */
const storedAlphaSpellings = z.object({
  v1alpha1: z.object({ size: sizeField.optional(), backup: z.literal(false).optional() })
    .optional(),
});

/** Built once: a zod schema costs far more to construct than to run (a tenth of every admission). */
const annotationsRecord = z.record(z.string(), z.unknown());

/**
 * Refuses a conversion annotation that conversion could not read, or that
 * keeps v1alpha1 values no valid v1alpha1 object has: stored, the first
 * would make every read through v1beta1 or v1alpha1 fail, the second would
 * show a refused value there.
 */
function checkConversionData(obj: Untrusted, out: FieldProblem[]): void {
  const annotations = annotationsRecord.safeParse(
    jsonObject.safeParse((obj as Record<string, unknown>).metadata).data?.annotations,
  ).data;
  const text = annotations?.[CONVERSION_ANNOTATION];
  if (text === undefined) return;
  let readable: boolean;
  try {
    const data = readConversionData({
      apiVersion: "vigil.dev/v1",
      kind: "Database",
      metadata: { annotations: { [CONVERSION_ANNOTATION]: String(text) } },
    });
    readable = storedAlphaSpellings.safeParse(data).success;
  } catch {
    readable = false;
  }
  if (readable) return;
  out.push(
    fieldProblem(
      `metadata.annotations[${CONVERSION_ANNOTATION}]`,
      text,
      "is not conversion data Vigil can read",
      "no such annotation (Vigil writes it itself when an object passes through v1beta1 " +
        "or v1alpha1), or the value Vigil wrote",
    ),
  );
}

/** An object as a client sent it: nothing about it is known yet. */
type Untrusted = DatabaseV1 | Record<string, unknown>;

const objectName = z.object({ name: z.string().optional().catch(undefined) });
const jsonObject = z.custom<Record<string, unknown>>((v) =>
  typeof v === "object" && v !== null && !Array.isArray(v)
);

/**
 * The fields of the stored spec that transitions are judged against, each
 * only when it reads as its schema says: a stored object may predate a
 * tighter schema, and must not make validation throw.
 */
function oldSpecOf(old: Untrusted | undefined): Spec | undefined {
  if (old === undefined) return undefined;
  const spec = jsonObject.safeParse((old as Record<string, unknown>).spec).data ?? {};
  const out: Spec = { engine: engineField.catch("postgres").parse(spec.engine) };
  const version = versionField.safeParse(spec.version);
  if (version.success) out.version = version.data;
  const size = storageSizeField.safeParse(spec.storageSize);
  if (size.success) out.storageSize = size.data;
  const className = storageClassNameField.safeParse(spec.storageClassName);
  if (className.success) out.storageClassName = className.data;
  return out;
}

/**
 * Validates a v1 Database (after defaulting) and returns every problem found;
 * an empty list means valid. Pass `oldObj` on UPDATE to check transitions.
 *
 * Both objects are untrusted JSON: whatever they hold, this never throws,
 * and every problem names the field path, the value and what is accepted.
 *
 * @example
 * ```ts
 * import { validateDatabase } from "./validate_database.ts";
 * const ctx = { storageClass: () => ({ exists: true, allowVolumeExpansion: true }) };
 * const db = { apiVersion: "vigil.dev/v1", kind: "Database", spec: { version: "17.5", replicas: 11 } } as const;
 * validateDatabase(db, undefined, ctx)[0]?.path; // "spec.replicas"
 * ```
 */
export function validateDatabase(
  newObj: Untrusted,
  oldObj: Untrusted | undefined,
  ctx: ValidationContext,
): FieldProblem[] {
  const spec: unknown = (newObj as Record<string, unknown>).spec ?? {};
  const { problems, bad } = schemaProblems(spec);
  if (bad.has("spec")) return problems;
  const typed = spec as Spec;
  const old = oldSpecOf(oldObj);
  const engine: Engine = bad.has("engine") ? "postgres" : typed.engine ?? "postgres";
  if (oldObj === undefined) checkName(newObj, problems);
  checkConversionData(newObj, problems);
  if (!bad.has("engine")) checkImmutables(typed, old, problems);
  if (!bad.has("engine") && !bad.has("version")) checkVersion(typed, old, engine, problems);
  if (!bad.has("storageSize") && !bad.has("storageClassName")) {
    checkStorage(typed, old, ctx, problems);
  }
  if (!bad.has("resources")) checkResources(typed, problems);
  if (!bad.has("config") && !bad.has("engine")) checkConfig(typed, engine, problems);
  if (!bad.has("backupSchedule") && typed.backupSchedule !== undefined) {
    const cron = checkCron(typed.backupSchedule);
    if (!cron.ok) {
      const reason = `is not a valid schedule: ${cron.reason}`;
      problems.push(
        fieldProblem("spec.backupSchedule", typed.backupSchedule, reason, CRON_ACCEPTED),
      );
    }
  }
  return problems;
}
