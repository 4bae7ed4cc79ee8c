/**
 * The Database's admission and conversion handlers, in the shapes the
 * generic webhook server takes: mutate applies {@link defaultDatabase}
 * (never overwriting a value the user set), validate applies
 * {@link validateDatabase} with the cluster's StorageClasses, and convert
 * applies {@link convert}.
 *
 * Assumptions: the webhook configurations match `vigil.dev/v1` only, with
 * `matchPolicy: Equivalent`, so the apiserver converts requests made to
 * other versions to v1 before calling; these handlers see v1 objects.
 *
 * Guarantees: the objects are untrusted. The mutating webhook runs before the
 * CRD schema has checked anything, so its spec may hold any JSON; mutate
 * never throws on it and leaves what it cannot default unchanged, and
 * validate refuses it naming the field, the value and what is accepted.
 *
 * @module
 */
import {
  type AdmissionHandler,
  type AdmissionRequest,
  type AdmissionResponse,
  allowed,
  type ConversionHandler,
  convertEach,
  denied,
  errored,
  type KubeObject,
  patchedWith,
} from "../webhook/mod.ts";
import { defaultDatabase, toJsonPatch } from "./default_database.ts";
import { type AnyDatabase, convert } from "./convert.ts";
import { z } from "zod";
import { type StorageClassInfo, validateDatabase } from "./validate_database.ts";
import { CLEANUP_FINALIZER, V1 } from "./database_v1.ts";

/** Cluster state the validating handler reads (from informer caches, not per-request GETs). */
export interface DatabaseAdmissionContext {
  /** Looks up a StorageClass by name; `undefined` asks for the cluster's default class. */
  storageClass(name: string | undefined): StorageClassInfo;
  /**
   * Whether the cache behind {@link DatabaseAdmissionContext.storageClass} has
   * synced; until it has, validation answers 503 (retry) rather than
   * wrongly calling a StorageClass missing. Default: always synced.
   */
  synced?(): boolean;
}

/** A v1 Database as a client sent it: only apiVersion and kind are known to be right. */
type UntrustedDatabase = KubeObject & { apiVersion: typeof V1; kind: "Database" };

function isV1(obj: KubeObject | null | undefined): obj is UntrustedDatabase {
  return obj !== null && obj !== undefined && obj.apiVersion === V1 && obj.kind === "Database";
}

const objectName = z.object({
  name: z.string().max(253).optional().catch(undefined),
  namespace: z.string().max(63).optional().catch(undefined),
});

function describeValue(value: unknown): string {
  return typeof value === "string" ? value : typeof value;
}

/**
 * Wraps a v1 Database check into an AdmissionHandler: only CREATE and UPDATE
 * of v1 objects reach `answer`; anything else is allowed or, when it is not a
 * v1 Database at all, refused with a message saying what was expected.
 */
function databaseHandler(
  action: string,
  answer: (
    obj: UntrustedDatabase,
    old: UntrustedDatabase | undefined,
    req: AdmissionRequest,
  ) => AdmissionResponse,
): AdmissionHandler {
  return (req) => {
    if (req.operation !== "CREATE" && req.operation !== "UPDATE") return Promise.resolve(allowed());
    // The rules match `databases` only, so subresource writes (status, scale)
    // never arrive; should one, it cannot make the spec invalid.
    if (req.subResource !== undefined && req.subResource !== "") return Promise.resolve(allowed());
    if (!isV1(req.object)) {
      const got = describeValue(req.object?.apiVersion);
      return Promise.resolve(
        denied(400, `Cannot ${action}: expected a ${V1} Database, got ${got}`),
      );
    }
    return Promise.resolve(
      answer(req.object, isV1(req.oldObject) ? req.oldObject : undefined, req),
    );
  };
}

/** Options of {@link mutateDatabaseHandler}. */
export interface MutateOptions {
  /**
   * Whether this operator runs the Databases of `namespace`. A Database
   * created there gets {@link CLEANUP_FINALIZER} at admission, which saves
   * the reconciler a write per new Database. Databases elsewhere (another
   * installation's namespaces) never get it, or nothing would remove it.
   * Default: no namespace (the reconciler adds the finalizer).
   */
  readonly runsNamespace?: (namespace: string) => boolean;
}

/**
 * Mutating handler: adds the context defaults (version from the catalog,
 * resource requests, schema defaults) as a JSON Patch, and on CREATE the
 * cleanup finalizer when {@link MutateOptions.runsNamespace} says so.
 *
 * Guarantees: only `add` operations for fields the user left unset, under
 * parents that are objects; a value it cannot read is passed on unchanged
 * for validation to refuse. Never throws on any JSON spec. The finalizer is
 * added on CREATE only: a user who removes it on UPDATE keeps it removed.
 */
export function mutateDatabaseHandler(options: MutateOptions = {}): AdmissionHandler {
  const runs = options.runsNamespace ?? (() => false);
  return databaseHandler("default", (obj, old, req) => {
    const patch: { op: "add"; path: string; value: unknown }[] = toJsonPatch(
      defaultDatabase(obj, { oldObject: old }),
    );
    // The request's namespace is the one the object is stored in.
    const namespace = req.namespace ??
      (obj.metadata as { namespace?: unknown } | undefined)?.namespace;
    if (req.operation === "CREATE" && typeof namespace === "string" && runs(namespace)) {
      patch.push(...finalizerPatch(obj));
    }
    return patchedWith(patch);
  });
}

/** The JSON Patch that adds the cleanup finalizer to `obj`, if it lacks it. */
function finalizerPatch(obj: UntrustedDatabase): { op: "add"; path: string; value: unknown }[] {
  const metadata: unknown = obj.metadata;
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) return [];
  const finalizers: unknown = (metadata as Record<string, unknown>).finalizers;
  if (finalizers === undefined || finalizers === null) {
    return [{ op: "add", path: "/metadata/finalizers", value: [CLEANUP_FINALIZER] }];
  }
  if (!Array.isArray(finalizers) || finalizers.includes(CLEANUP_FINALIZER)) return [];
  return [{ op: "add", path: "/metadata/finalizers/-", value: CLEANUP_FINALIZER }];
}

/** At most this many problems are spelled out in one denial; the rest are counted. */
export const MAX_DENIAL_PROBLEMS = 25;

/**
 * Validating handler: every problem at once, each naming the field path, the
 * value and what is accepted, in the message and as `status.details.causes`.
 */
export function validateDatabaseHandler(ctx: DatabaseAdmissionContext): AdmissionHandler {
  return databaseHandler("validate", (obj, old) => {
    if (ctx.synced?.() === false) {
      return errored(
        503,
        new Error("Cannot validate yet: the StorageClass cache has not synced; retry in a moment"),
      );
    }
    const all = validateDatabase(obj, old, ctx);
    if (all.length === 0) return allowed();
    // A client can send thousands of bad config keys; the answer stays bounded.
    const problems = all.slice(0, MAX_DENIAL_PROBLEMS);
    const more = all.length > problems.length
      ? `; and ${all.length - problems.length} more problems`
      : "";
    const meta = objectName.safeParse(obj.metadata).data;
    const name = `${meta?.namespace ?? ""}/${meta?.name ?? ""}`;
    return denied(
      422,
      `Database ${name} is invalid: ${problems.map((p) => p.message).join("; ")}${more}`,
      {
        reason: "Invalid",
        causes: problems.map((p) => ({
          field: p.path,
          reason: "FieldValueInvalid",
          // kubectl prints each cause as `<field>: <message>`: the path once is enough.
          message: p.message.startsWith(`${p.path}: `)
            ? p.message.slice(p.path.length + 2)
            : p.message,
        })),
      },
    );
  });
}

/** Conversion handler between v1, v1beta1 and v1alpha1 (hub-and-spoke through v1, lossless). */
export function convertDatabaseHandler(): ConversionHandler {
  return convertEach((object, desiredAPIVersion) =>
    convert(object as unknown as AnyDatabase, desiredAPIVersion) as unknown as KubeObject
  );
}

/** The parts of a `storage.k8s.io/v1` StorageClass the lookup reads. */
export interface StorageClassObject {
  readonly metadata?: {
    readonly name?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly allowVolumeExpansion?: boolean;
}

const DEFAULT_CLASS_ANNOTATIONS = [
  "storageclass.kubernetes.io/is-default-class",
  "storageclass.beta.kubernetes.io/is-default-class",
];

/**
 * A {@link DatabaseAdmissionContext} over a list of StorageClasses (an
 * informer store's `list`), resolving "no name" to the default class as the
 * DefaultStorageClass admission plugin does.
 */
export function storageClassLookup(
  list: () => readonly StorageClassObject[],
  synced?: () => boolean,
): DatabaseAdmissionContext {
  return {
    ...(synced === undefined ? {} : { synced }),
    storageClass(name) {
      const classes = list();
      const found = name === undefined
        ? classes.find((c) =>
          DEFAULT_CLASS_ANNOTATIONS.some((a) => c.metadata?.annotations?.[a] === "true")
        )
        : classes.find((c) => c.metadata?.name === name);
      return {
        exists: found !== undefined,
        allowVolumeExpansion: found?.allowVolumeExpansion === true,
      };
    },
  };
}
