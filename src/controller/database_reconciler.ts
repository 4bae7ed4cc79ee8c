/**
 * The Database reconciler: brings one Database's owned objects in line with
 * its spec through server-side apply, recomputes its status, records events
 * on transitions, and runs the finalizer's ordered cleanup.
 *
 * ## Guarantees
 * - No request when nothing differs: every desired object is compared with
 *   the newest known live one ({@link RecentWrites} over the informer cache)
 *   and applied only when it differs; status is written only when it changed.
 * - The finalizer `vigil.dev/cleanup` is on the Database before any owned
 *   object is created.
 * - A paused Database (`vigil.dev/paused: "true"`) gets no change to its
 *   objects; its status is still reported.
 * - A permanent failure (the API server refuses an object as invalid, a
 *   StorageClass that does not exist) sets `Degraded`/`Ready=False` naming
 *   the field and value, emits one event, and waits for a change; anything
 *   else is thrown and retried with the controller's per-item backoff.
 * - Cached objects are never mutated.
 *
 * @module
 */
import { DatabaseV1Schema, type DefaultedDatabaseV1, defaultVersion, V1 } from "../database/mod.ts";
import { InvalidError, type KubeClient, NotFoundError } from "../kube/mod.ts";
import type {
  Clock,
  EventRecorder,
  KubeObject,
  ReconcileContext,
  ReconcileResult,
  Request,
  Resource,
  Store,
} from "../runtime/mod.ts";
import { realClock, resourcePath } from "../runtime/mod.ts";
import {
  APPLIED_HASH_ANNOTATION,
  type Applier,
  matchesLive,
  withAppliedHash,
} from "./apply/mod.ts";
import { computeStatus, type PermanentFailure, progressOnly } from "./database_status.ts";
import { cleanupStep, type OwnedIndex } from "./cleanup.ts";
import {
  CONFIG_HASH_ANNOTATION,
  desiredState,
  endpoints,
  generatePassword,
  objectNames,
  passwordOf,
  selectorLabels,
} from "./desired/mod.ts";
import { claimTemplateStorage, type LiveStatefulSet } from "./observed_kinds.ts";
import { RecentWrites } from "./recent_writes.ts";
import { stableJson } from "./stable_json.ts";

/** The finalizer Vigil puts on every Database it runs. */
export const CLEANUP_FINALIZER = "vigil.dev/cleanup";
/** Set to `"true"` to stop all changes to a Database's objects. */
export const PAUSED_ANNOTATION = "vigil.dev/paused";

/** The Database resource (storage version). */
export const DATABASE_RESOURCE: Resource = {
  group: "vigil.dev",
  version: "v1",
  plural: "databases",
  namespaced: true,
  kind: "Database",
};

/** Caches the reconciler reads, by kind. */
export interface ReconcilerCaches {
  readonly databases: Store<KubeObject>;
  /** Owned kinds by `kind` (Secret, ConfigMap, Service, StatefulSet, PodDisruptionBudget, CronJob, PersistentVolumeClaim, Pod). */
  readonly owned: ReadonlyMap<string, Store<KubeObject>>;
  /** Whether a StorageClass exists (undefined: unknown, do not judge). */
  readonly storageClassExists?: (name: string) => boolean | undefined;
}

/** Options of {@link DatabaseReconciler}. */
export interface DatabaseReconcilerOptions {
  readonly caches: ReconcilerCaches;
  readonly applier: Applier;
  /** For the finalizer's JSON patch. */
  readonly client: Pick<KubeClient, "request">;
  readonly events: Pick<EventRecorder, "event">;
  /** `--image-registry`. */
  readonly registryPrefix?: string;
  /** How long cleanup may take before the finalizer is removed anyway; default 300 000 ms. */
  readonly cleanupTimeoutMs?: number;
  /**
   * How long a status change of progress counters only (ready replicas, messages)
   * may wait to be written together with the next; default 1 000 ms. Phase and
   * condition changes are written at once.
   */
  readonly progressBatchMs?: number;
  /** Poll interval while cleanup waits for pods to go; default 2 000 ms. */
  readonly cleanupPollMs?: number;
  readonly clock?: Clock;
}

/** Reconciles Databases; {@link DatabaseReconciler.reconcile} is the controller's `Reconciler`. */
export class DatabaseReconciler {
  readonly #o: DatabaseReconcilerOptions;
  readonly #clock: Clock;
  readonly #recent: RecentWrites;
  /** Objects the API server refused as invalid, by `kind/namespace/name`, with the refused hash. */
  /** Since when a progress-only status change has been waiting, by Database key. */
  readonly #progressSince = new Map<string, number>();
  readonly #refused = new Map<string, { hash: string; failure: PermanentFailure }>();

  constructor(options: DatabaseReconcilerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#recent = new RecentWrites({ clock: this.#clock });
  }

  /** One reconcile of one Database. */
  reconcile = async (req: Request, ctx: ReconcileContext): Promise<ReconcileResult> => {
    const namespace = req.namespace ?? "";
    const cached = this.#o.caches.databases.get(`${namespace}/${req.name}`);
    const raw = this.#recent.newest("Database", namespace, req.name, cached);
    if (raw === undefined || cached === undefined) {
      this.#progressSince.delete(`${namespace}/${req.name}`);
      return {};
    }
    if (raw.metadata?.deletionTimestamp !== undefined) return await this.#finalize(raw, ctx);

    const parsed = DatabaseV1Schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const failure: PermanentFailure = {
        reason: "InvalidSpec",
        message: `Cannot run the Database: ${issue?.path.join(".") ?? "spec"}: ${
          issue?.message ?? "invalid"
        }`,
      };
      return await this.#writeStatus(raw as DefaultedDatabaseV1, undefined, failure, ctx);
    }
    const db = withVersion(parsed.data);
    if (!(raw.metadata?.finalizers as string[] | undefined ?? []).includes(CLEANUP_FINALIZER)) {
      await this.#addFinalizer(db, ctx);
    }
    const paused = raw.metadata?.annotations?.[PAUSED_ANNOTATION] === "true";
    const failure = paused ? undefined : this.#precheck(db);
    const names = objectNames(db);
    const liveSts = this.#live<LiveStatefulSet>("StatefulSet", namespace, names.statefulSet);
    const password = passwordOf(this.#live("Secret", namespace, names.credentials)) ??
      generatePassword();
    const claimStorage = claimTemplateStorage(liveSts);
    const desired = desiredState(db, {
      password,
      ...(this.#o.registryPrefix === undefined ? {} : { registryPrefix: this.#o.registryPrefix }),
      ...(claimStorage === undefined ? {} : { claimTemplateStorage: claimStorage }),
    });

    let applyFailure: PermanentFailure | undefined;
    if (!paused && failure === undefined) {
      applyFailure = await this.#applyAll(db, desired.apply, desired.remove, liveSts, ctx);
    }
    return await this.#writeStatus(db, desired.configHash, failure ?? applyFailure, ctx, paused);
  };

  /** A problem visible before any write: one that retrying cannot fix. */
  #precheck(db: DefaultedDatabaseV1): PermanentFailure | undefined {
    const className = db.spec.storageClassName;
    if (className !== undefined && this.#o.caches.storageClassExists?.(className) === false) {
      return {
        reason: "StorageClassNotFound",
        message:
          `spec.storageClassName: StorageClass "${className}" does not exist; create it or choose an existing class`,
      };
    }
    return undefined;
  }

  async #applyAll(
    db: DefaultedDatabaseV1,
    apply: readonly KubeObject[],
    remove: ReadonlyArray<{ apiVersion: string; kind: string; name: string }>,
    liveSts: LiveStatefulSet | undefined,
    ctx: ReconcileContext,
  ): Promise<PermanentFailure | undefined> {
    const namespace = db.metadata?.namespace ?? "";
    const created: string[] = [];
    for (const obj of apply) {
      const kind = obj.kind ?? "";
      const name = obj.metadata?.name ?? "";
      const desired = withAppliedHash(obj);
      const live = this.#live(kind, namespace, name);
      if (matchesLive(desired, live)) continue;
      const key = `${kind}/${namespace}/${name}`;
      const hash = desired.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] ?? "";
      const refused = this.#refused.get(key);
      if (refused?.hash === hash) return refused.failure;
      if (kind === "StatefulSet" && live !== undefined) this.#stsTransitions(db, liveSts, desired);
      try {
        const written = await this.#o.applier.apply(desired, { signal: ctx.signal });
        this.#recent.record(kind, written);
        this.#refused.delete(key);
      } catch (err) {
        if (err instanceof InvalidError) {
          const failure = {
            reason: "InvalidObject",
            message: `The API server refused ${kind} ${name}: ${err.message}`,
          };
          // The same object would be refused again: wait for the spec to change.
          this.#refused.set(key, { hash, failure });
          return failure;
        }
        throw err;
      }
      if (live === undefined) created.push(`${kind} ${name}`);
      ctx.log.info("applied", { kind, name, created: live === undefined });
    }
    for (const ref of remove) {
      const live = this.#live(ref.kind, namespace, ref.name);
      if (live === undefined || !ownedBy(live, db)) continue;
      await this.#o.applier.delete(
        { ...ref, namespace, ...(live.metadata?.uid ? { uid: live.metadata.uid } : {}) },
        { signal: ctx.signal },
      );
      this.#recent.forget(ref.kind, namespace, ref.name);
      ctx.log.info("deleted", { kind: ref.kind, name: ref.name });
    }
    if (created.some((c) => c.startsWith("StatefulSet "))) {
      this.#event(db, "Normal", "Created", `Created ${created.join(", ")}`);
    }
    return undefined;
  }

  #stsTransitions(db: DefaultedDatabaseV1, live: LiveStatefulSet | undefined, desired: KubeObject) {
    if (live === undefined) return;
    const want = desired as LiveStatefulSet;
    const from = live.spec?.replicas ?? 1;
    const to = want.spec?.replicas ?? 1;
    if (to > from) this.#event(db, "Normal", "ScalingUp", `Scaling from ${from} to ${to}`);
    if (to < from) {
      this.#event(db, "Normal", "ScalingDown", `Scaling from ${from} to ${to}`);
    }
    const oldHash = live.spec?.template?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
    const newHash = want.spec?.template?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
    if (oldHash !== undefined && newHash !== undefined && oldHash !== newHash) {
      this.#event(db, "Normal", "ConfigChanged", "spec.config changed; rolling replicas");
    }
  }

  async #writeStatus(
    db: DefaultedDatabaseV1,
    configHash: string | undefined,
    failure: PermanentFailure | undefined,
    ctx: ReconcileContext,
    paused = false,
  ): Promise<ReconcileResult> {
    const namespace = db.metadata?.namespace ?? "";
    const name = db.metadata?.name ?? "";
    const names = objectNames(db);
    const sts = this.#live<LiveStatefulSet>("StatefulSet", namespace, names.statefulSet);
    const pvcs =
      (this.#o.caches.owned.get("PersistentVolumeClaim")?.byIndex("namespace", namespace) ??
        []).filter((p) => isDataClaimOf(p, db));
    const status = computeStatus({
      db,
      statefulSet: sts,
      pvcs,
      configHash: configHash ?? db.status?.configHash ?? "",
      selector: Object.entries(selectorLabels(db)).map(([k, v]) => `${k}=${v}`).join(","),
      endpoints: endpoints(db),
      credentialsSecret: names.credentials,
      paused,
      failure,
      now: new Date(this.#clock.now()),
    });
    const key = `${namespace}/${name}`;
    if (stableJson(status) === stableJson(db.status ?? {})) {
      this.#progressSince.delete(key);
      return {};
    }
    if (progressOnly(db.status, status)) {
      const since = this.#progressSince.get(key) ?? this.#clock.now();
      this.#progressSince.set(key, since);
      const waitMs = since + (this.#o.progressBatchMs ?? 1_000) - this.#clock.now();
      if (waitMs > 0) return { requeueAfterMs: waitMs };
    }
    this.#progressSince.delete(key);
    const previousDegraded = db.status?.conditions?.find((c) => c.type === "Degraded");
    if (failure !== undefined && previousDegraded?.reason !== failure.reason) {
      this.#event(db, "Warning", "ReconcileFailed", failure.message);
    }
    const written = await this.#o.applier.applyStatus(DATABASE_RESOURCE, {
      apiVersion: V1,
      kind: "Database",
      metadata: { name, namespace },
      status,
    }, { signal: ctx.signal });
    this.#recent.record("Database", written);
    ctx.log.debug("status written", { phase: status.phase });
    return {};
  }

  /** Adds the finalizer by server-side apply: a set, so others' finalizers are untouched. */
  async #addFinalizer(db: Named, ctx: ReconcileContext): Promise<void> {
    const written = await this.#o.applier.apply({
      apiVersion: V1,
      kind: "Database",
      metadata: {
        name: db.metadata?.name ?? "",
        namespace: db.metadata?.namespace ?? "",
        finalizers: [CLEANUP_FINALIZER],
      },
    }, { signal: ctx.signal, resource: DATABASE_RESOURCE });
    this.#recent.record("Database", written);
  }

  /**
   * Removes the finalizer with a JSON patch that tests its position first, so
   * it works whoever owns the entry (the mutating webhook adds it at create
   * time, under the user's field manager) and never removes another one.
   */
  async #removeFinalizer(db: KubeObject, ctx: ReconcileContext): Promise<void> {
    const finalizers = (db.metadata?.finalizers as string[] | undefined) ?? [];
    const index = finalizers.indexOf(CLEANUP_FINALIZER);
    if (index < 0) return;
    const path = resourcePath(DATABASE_RESOURCE, {
      namespace: db.metadata?.namespace ?? "",
      name: db.metadata?.name ?? "",
    });
    try {
      await this.#o.client.request("PATCH", path, {
        contentType: "application/json-patch+json",
        body: [
          { op: "test", path: `/metadata/finalizers/${index}`, value: CLEANUP_FINALIZER },
          { op: "remove", path: `/metadata/finalizers/${index}` },
        ],
        signal: ctx.signal,
      });
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    }
  }

  async #finalize(db: KubeObject, ctx: ReconcileContext): Promise<ReconcileResult> {
    const finalizers = (db.metadata?.finalizers as string[] | undefined) ?? [];
    if (!finalizers.includes(CLEANUP_FINALIZER)) return {};
    const namespace = db.metadata?.namespace ?? "";
    const deletedAt = Date.parse(String(db.metadata?.deletionTimestamp));
    const timeoutMs = this.#o.cleanupTimeoutMs ?? 300_000;
    const typed = db as DefaultedDatabaseV1;
    if (typed.status?.phase !== "Terminating") {
      this.#event(db, "Normal", "Deleting", "Cleaning up owned objects");
      const written = await this.#o.applier.applyStatus(DATABASE_RESOURCE, {
        apiVersion: V1,
        kind: "Database",
        metadata: { name: db.metadata?.name ?? "", namespace },
        status: { ...typed.status, phase: "Terminating", message: "Cleaning up owned objects" },
      }, { signal: ctx.signal });
      this.#recent.record("Database", written);
    }
    const index: OwnedIndex = (kind) =>
      (this.#o.caches.owned.get(kind)?.byIndex("namespace", namespace) ?? []).filter((o) =>
        ownedBy(o, db) || isDataClaimOf(o, typed) || isBackupClaimOf(o, typed) || isPodOf(o, typed)
      );
    const step = cleanupStep(typed, index);
    if (step.type === "delete") {
      for (const obj of step.objects) {
        await this.#o.applier.delete({
          apiVersion: obj.apiVersion ?? "v1",
          kind: obj.kind ?? "",
          namespace,
          name: obj.metadata?.name ?? "",
          ...(obj.metadata?.uid ? { uid: obj.metadata.uid } : {}),
        }, { signal: ctx.signal });
      }
    }
    if (step.type !== "done") {
      if (this.#clock.now() - deletedAt < timeoutMs) {
        ctx.log.debug("cleanup in progress", { step: step.type, what: step.what });
        return { requeueAfterMs: this.#o.cleanupPollMs ?? 2_000 };
      }
      this.#o.events.event(
        db,
        "Warning",
        "CleanupTimeout",
        `Cleanup did not finish within ${Math.round(timeoutMs / 1000)} s (${step.what}); ` +
          "removing the finalizer; the garbage collector removes what is left",
      );
    }
    await this.#removeFinalizer(db, ctx);
    ctx.log.info("cleanup finished; finalizer removed");
    return {};
  }

  #event(
    db: DefaultedDatabaseV1 | KubeObject,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): void {
    this.#o.events.event(db as KubeObject, type, reason, message);
  }

  #live<T extends KubeObject>(kind: string, namespace: string, name: string): T | undefined {
    const cached = this.#o.caches.owned.get(kind)?.get(`${namespace}/${name}`);
    return this.#recent.newest(kind, namespace, name, cached) as T | undefined;
  }
}

/** Anything with a name, namespace and uid. */
interface Named {
  readonly metadata?:
    | { name?: string | undefined; namespace?: string | undefined; uid?: string | undefined }
    | undefined;
}

function withVersion(db: DefaultedDatabaseV1): DefaultedDatabaseV1 {
  if (db.spec.version !== undefined) return db;
  return { ...db, spec: { ...db.spec, version: defaultVersion(db.spec.engine) } };
}

function ownedBy(obj: KubeObject, db: Named): boolean {
  return (obj.metadata?.ownerReferences ?? []).some((r) =>
    r.controller === true && r.uid === db.metadata?.uid
  );
}

/** A data PVC of the Database's StatefulSet (`data-<sts>-<ordinal>`). */
function isDataClaimOf(obj: KubeObject, db: DefaultedDatabaseV1): boolean {
  const sts = objectNames(db).statefulSet;
  return obj.kind === "PersistentVolumeClaim" &&
    new RegExp(`^data-${escape(sts)}-[0-9]+$`).test(obj.metadata?.name ?? "") &&
    matchesSelector(obj, db);
}

/** The backup PVC of the Database (kept when the schedule is removed). */
function isBackupClaimOf(obj: KubeObject, db: DefaultedDatabaseV1): boolean {
  return obj.kind === "PersistentVolumeClaim" &&
    obj.metadata?.name === objectNames(db).backupPvc &&
    obj.metadata?.labels?.["app.kubernetes.io/instance"] === db.metadata?.name;
}

function isPodOf(obj: KubeObject, db: DefaultedDatabaseV1): boolean {
  return obj.kind === "Pod" && matchesSelector(obj, db);
}

function matchesSelector(obj: KubeObject, db: DefaultedDatabaseV1): boolean {
  const labels = obj.metadata?.labels ?? {};
  return Object.entries(selectorLabels(db)).every(([k, v]) => labels[k] === v);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
