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
import {
  CLEANUP_FINALIZER,
  DatabaseV1Schema,
  type DefaultedDatabaseV1,
  defaultVersion,
  V1,
} from "../database/mod.ts";
import { parsePositiveDurationMs as parseDuration } from "../duration.ts";
import { ForbiddenError, InvalidError, type KubeClient, NotFoundError } from "../kube/mod.ts";
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
import { realClock, resourcePath, stableJson } from "../runtime/mod.ts";
import {
  APPLIED_HASH_ANNOTATION,
  type Applier,
  matchesLive,
  withAppliedHash,
} from "./apply/mod.ts";
import {
  computeStatus,
  type PermanentFailure,
  progressOnly,
  type StatusObservation,
  type StoppedRollout,
} from "./database_status.ts";
import { cleanupStep, type OwnedIndex } from "./cleanup.ts";
import { backupState } from "./backup_status.ts";
import { changedConfigKeys } from "./config_diff.ts";
import {
  BACKUP_COMPONENT,
  CONFIG_HASH_ANNOTATION,
  type CredentialsOptions,
  desiredState,
  endpoints,
  generatePassword,
  objectNames,
  passwordOf,
  pendingCredentialsSecret,
  pendingSecretName,
  ROTATE_ANNOTATION,
  ROTATED_AT_ANNOTATION,
  ROTATION_COMPONENT,
  ROTATION_REQUEST_ANNOTATION,
  ROTATION_TOKEN_ANNOTATION,
  rotationJob,
  rotationJobName,
  secretValue,
  selectorLabels,
} from "./desired/mod.ts";
import { nextRotationStep, type RotationStep } from "./rotation_step.ts";
import {
  claimTemplateStorage,
  type LiveJob,
  type LivePersistentVolumeClaim,
  type LivePod,
  type LiveStatefulSet,
  rolloutPod,
  rolloutStatefulSet,
} from "./observed_kinds.ts";
import { INSTANCE_INDEX, instanceKey } from "./instance_index.ts";
import { RecentWrites } from "./recent_writes.ts";
import { type ResizePlan, resizePlan } from "./resize_plan.ts";
import { nextRolloutStep, type RolloutPod, type RolloutStep } from "./rollout_step.ts";
import { rolloutStartEvents, statusTransitionEvents } from "./transition_events.ts";

/** Set to `"true"` to stop all changes to a Database's objects. */
export const PAUSED_ANNOTATION = "vigil.dev/paused";
/**
 * How long a replaced replica may take to become Ready before its rollout
 * stops, as a Go duration (`90s`, `5m`); overrides the operator's default.
 */
export const READY_TIMEOUT_ANNOTATION = "vigil.dev/replica-ready-timeout";

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
  /** A StorageClass's `allowVolumeExpansion` (undefined: unknown, try and see). */
  readonly storageClassAllowsExpansion?: (name: string) => boolean | undefined;
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
  /**
   * The same while the Database is still being created (Ready reason `Creating`)
   * and its ready replicas moved (what `READY` and the condition messages show);
   * default 30 000 ms: a new pod can wait that long for its volume on a busy
   * cluster, and a status write per wait doubles what creating costs.
   */
  readonly creatingProgressBatchMs?: number;
  /**
   * The same while the Database is being created and only counters no column
   * shows moved (pods created, `storageSize`); default 300 000 ms. They are
   * written with the next transition (Ready, or a failure) when it comes
   * sooner, and a creation that stalls still shows them within this bound.
   */
  readonly creatingCountersBatchMs?: number;
  /** Poll interval while cleanup waits for pods to go; default 2 000 ms. */
  readonly cleanupPollMs?: number;
  /**
   * How long a replica replaced by a rollout may take to become Ready before
   * the rollout stops; default 300 000 ms (per Database: {@link READY_TIMEOUT_ANNOTATION}).
   */
  readonly replicaReadyTimeoutMs?: number;
  readonly clock?: Clock;
}

/** Reconciles Databases; {@link DatabaseReconciler.reconcile} is the controller's `Reconciler`. */
export class DatabaseReconciler {
  readonly #o: DatabaseReconcilerOptions;
  readonly #clock: Clock;
  readonly #recent: RecentWrites;
  /** Since when a progress-only status change has been waiting, by Database key. */
  readonly #progressSince = new Map<string, number>();
  /**
   * The StatefulSet this process deleted to recreate it (storage growth), as
   * it was then, by Database key, until the recreated one has counters: it
   * stands in meanwhile (see `#writeStatus`). Only Databases mid-recreation
   * have an entry, so the map holds no second copy of every StatefulSet.
   */
  readonly #lastCounted = new Map<string, LiveStatefulSet>();
  /** Objects the API server refused as invalid, by `kind/namespace/name`, with the refused hash. */
  readonly #refused = new Map<string, { hash: string; failure: PermanentFailure }>();
  /** PVC growths the API server refused (class cannot expand), as `namespace/claim=size`. */
  readonly #refusedGrowth = new Set<string>();
  /** Uids of pods and StatefulSets this process deleted, until the cache shows it (ms). */
  readonly #deleted = new Map<string, number>();

  constructor(options: DatabaseReconcilerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#recent = new RecentWrites({ clock: this.#clock });
  }

  /**
   * The cache of `kind` now holds (or has deleted) `obj`: a write to it that
   * stood in for the cache until then is forgotten. Informers' handlers call it.
   */
  observed(kind: string, obj: KubeObject): void {
    this.#recent.observed(kind, obj);
  }

  /** One reconcile of one Database. */
  reconcile = async (req: Request, ctx: ReconcileContext): Promise<ReconcileResult> => {
    const namespace = req.namespace ?? "";
    const cached = this.#o.caches.databases.get(`${namespace}/${req.name}`);
    const raw = this.#recent.newest("Database", namespace, req.name, cached);
    if (raw === undefined || cached === undefined) {
      this.#progressSince.delete(`${namespace}/${req.name}`);
      this.#lastCounted.delete(`${namespace}/${req.name}`);
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
    const liveSecret = this.#live("Secret", namespace, names.credentials);
    const rotation = this.#rotationStep(db, raw, liveSecret);
    const pendingPassword = rotation.type === "promote"
      ? secretValue(this.#live("Secret", namespace, pendingSecretName(db)), "password")
      : undefined;
    const password = pendingPassword ?? passwordOf(liveSecret) ?? generatePassword();
    const claimStorage = claimTemplateStorage(liveSts);
    const answered = liveSecret?.metadata?.annotations?.[ROTATION_TOKEN_ANNOTATION];
    const promoted = pendingPassword !== undefined && rotation.type === "promote";
    const credentials: CredentialsOptions = {
      // MySQL: a rotation changes the application user only; root keeps its password.
      rootPassword: db.spec.engine === "mysql"
        ? secretValue(liveSecret, "root-password")
        : undefined,
      rotationToken: promoted ? rotation.request : answered,
      rotatedAt: promoted
        ? new Date(this.#clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z")
        : liveSecret?.metadata?.annotations?.[ROTATED_AT_ANNOTATION],
    };
    const options = {
      password,
      credentials,
      ...(this.#o.registryPrefix === undefined ? {} : { registryPrefix: this.#o.registryPrefix }),
      ...(claimStorage === undefined ? {} : { claimTemplateStorage: claimStorage }),
    };
    const livePartition = liveSts?.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    let desired = desiredState(db, { ...options, partition: livePartition });
    const desiredSts = desired.apply.find((o) => o.kind === "StatefulSet")!;
    const pods = this.#podsOf(db);
    const step = nextRolloutStep({
      replicas: db.spec.replicas,
      statefulSet: liveSts === undefined ? undefined : rolloutStatefulSet(liveSts),
      templateChanged: liveSts !== undefined && !templateMatches(desiredSts, liveSts),
      pods,
      nowMs: this.#clock.now(),
      readyTimeoutMs: this.#readyTimeoutMs(raw),
    });
    if (step.partition !== livePartition) {
      desired = desiredState(db, { ...options, partition: step.partition });
    }
    const claims = this.#claimsOf(db);
    const plan = resizePlan({
      desired: db.spec.storageSize,
      claims: claims.map((c) => ({
        name: c.metadata?.name ?? "",
        request: c.spec?.resources?.requests?.storage,
        capacity: c.status?.capacity?.storage,
        storageClassName: c.spec?.storageClassName,
      })),
      claimTemplateStorage: claimStorage,
      statefulSetIdle: step.type === "idle" && liveSts?.metadata?.deletionTimestamp === undefined,
      allowsExpansion: (name) => this.#o.caches.storageClassAllowsExpansion?.(name),
      refused: (claim, size) => this.#refusedGrowth.has(`${namespace}/${claim}=${size}`),
    });

    let applyFailure: PermanentFailure | undefined;
    if (!paused && failure === undefined) {
      // While the StatefulSet is deleted to be recreated, it is not applied.
      const holdSts = liveSts?.metadata?.deletionTimestamp !== undefined ||
        plan.recreateStatefulSet;
      applyFailure = await this.#applyAll(
        db,
        holdSts ? desired.apply.filter((o) => o.kind !== "StatefulSet") : desired.apply,
        desired.remove,
        liveSts,
        ctx,
        step,
      );
      if (applyFailure === undefined) {
        await this.#day2(db, step, plan, liveSts, ctx);
        await this.#rotate(db, rotation, promoted, ctx);
      }
    }
    const result = await this.#writeStatus(db, desired.configHash, failure ?? applyFailure, ctx, {
      paused,
      stoppedRollout: paused ? undefined : this.#stopped(db, step, desiredSts),
      rotationFailed: rotation.type === "failed"
        ? `The credentials rotation Job ${
          rotationJobName(db, rotation.request)
        } failed; the engine and the Secret keep the old password. ` +
          `Set ${ROTATE_ANNOTATION} to a new value to try again.`
        : undefined,
      storage: {
        desired: db.spec.storageSize,
        resizing: plan.resizing,
        blocked: blockedMessage(db, plan),
      },
      ...(db.spec.backupSchedule === undefined
        ? {}
        : { backup: backupState(this.#jobsOf(db), db.status?.lastBackupTime) }),
    }, { pods: pods.length, desiredStatefulSet: desiredSts });
    const recheck = !paused && step.type === "wait" ? step.recheckAfterMs : undefined;
    if (recheck === undefined) return result;
    // A little past the deadline, so the next look sees it passed.
    const after = recheck + 100;
    return { requeueAfterMs: Math.min(result.requeueAfterMs ?? after, after) };
  };

  /** The I/O of a rollout step and a resize plan besides the applies. */
  async #day2(
    db: DefaultedDatabaseV1,
    step: RolloutStep,
    plan: ResizePlan,
    liveSts: LiveStatefulSet | undefined,
    ctx: ReconcileContext,
  ): Promise<void> {
    const namespace = db.metadata?.namespace ?? "";
    if (step.type === "replace" && !this.#recentlyDeleted(step.uid)) {
      await this.#o.applier.delete(
        { apiVersion: "v1", kind: "Pod", namespace, name: step.pod, uid: step.uid },
        { signal: ctx.signal },
      );
      this.#deleted.set(step.uid, this.#clock.now());
      ctx.log.info("deleted a replica stuck on an old revision", { pod: step.pod });
    }
    for (const claim of plan.patch) {
      const key = `${namespace}/${claim}=${db.spec.storageSize}`;
      try {
        const written = await this.#o.client.request(
          "PATCH",
          resourcePath(PVC_RESOURCE, { namespace, name: claim }),
          {
            contentType: "application/merge-patch+json",
            body: { spec: { resources: { requests: { storage: db.spec.storageSize } } } },
            signal: ctx.signal,
          },
        );
        this.#recent.record("PersistentVolumeClaim", written as KubeObject);
        ctx.log.info("growing a volume", { claim, size: db.spec.storageSize });
      } catch (err) {
        if (err instanceof NotFoundError) continue;
        // The class cannot expand (the PersistentVolumeClaimResize admission
        // plugin answers Forbidden): never ask again for this claim and size.
        if (err instanceof ForbiddenError || err instanceof InvalidError) {
          this.#refusedGrowth.add(key);
          ctx.log.info("volume growth refused", { claim, reason: (err as Error).message });
          continue;
        }
        throw err;
      }
    }
    const uid = liveSts?.metadata?.uid;
    if (plan.recreateStatefulSet && uid !== undefined && !this.#recentlyDeleted(uid)) {
      if (liveSts?.status?.observedGeneration !== undefined) {
        this.#lastCounted.set(`${namespace}/${db.metadata?.name ?? ""}`, liveSts);
      }
      // Orphan: the pods keep running and the recreated StatefulSet adopts them.
      await this.#o.applier.delete(
        {
          apiVersion: "apps/v1",
          kind: "StatefulSet",
          namespace,
          name: liveSts?.metadata?.name ?? "",
          uid,
        },
        { signal: ctx.signal, propagationPolicy: "Orphan" },
      );
      this.#deleted.set(uid, this.#clock.now());
      ctx.log.info("recreating the StatefulSet for its new claim size", {
        size: db.spec.storageSize,
      });
    }
  }

  /** The rotation step from the Database's request and the rotation objects in the cluster. */
  #rotationStep(
    db: DefaultedDatabaseV1,
    raw: KubeObject,
    liveSecret: KubeObject | undefined,
  ): RotationStep {
    const namespace = db.metadata?.namespace ?? "";
    const requested = raw.metadata?.annotations?.[ROTATE_ANNOTATION];
    const pending = this.#live("Secret", namespace, pendingSecretName(db));
    const jobs = this.#rotationJobsOf(db);
    const current = requested === undefined
      ? undefined
      : this.#live<LiveJob>("Job", namespace, rotationJobName(db, requested));
    const outcome = (job: LiveJob | undefined) => {
      if (job === undefined) return "absent" as const;
      const done = (type: string) =>
        job.status?.conditions?.some((c) => c.type === type && c.status === "True") ?? false;
      return done("Complete")
        ? "succeeded" as const
        : done("Failed")
        ? "failed" as const
        : "running" as const;
    };
    return nextRotationStep({
      requested,
      answered: liveSecret?.metadata?.annotations?.[ROTATION_TOKEN_ANNOTATION],
      pending: pending?.metadata?.annotations?.[ROTATION_REQUEST_ANNOTATION],
      job: outcome(current),
      leftovers: pending !== undefined || jobs.length > 0,
      otherJobRunning: jobs.some((j) =>
        j.metadata?.name !== current?.metadata?.name && outcome(j) === "running"
      ),
    });
  }

  /** The I/O of a rotation step (the credentials Secret itself is applied with the rest). */
  async #rotate(
    db: DefaultedDatabaseV1,
    step: RotationStep,
    promoted: boolean,
    ctx: ReconcileContext,
  ): Promise<void> {
    const namespace = db.metadata?.namespace ?? "";
    const write = async (obj: KubeObject) => {
      const written = await this.#o.applier.apply(withAppliedHash(obj), { signal: ctx.signal });
      this.#recent.record(obj.kind ?? "", written);
      ctx.log.info("applied", { kind: obj.kind, name: obj.metadata?.name });
    };
    switch (step.type) {
      case "createPending":
        // A new password, never logged: only the Secret holds it.
        await write(pendingCredentialsSecret(db, generatePassword(), step.request));
        return;
      case "createJob":
        await write(rotationJob(db, step.request, this.#o.registryPrefix));
        this.#event(
          db,
          "Normal",
          "CredentialsRotationStarted",
          `Setting a new password on every replica (Job ${rotationJobName(db, step.request)})`,
        );
        return;
      case "promote":
        if (promoted) {
          this.#event(
            db,
            "Normal",
            "CredentialsRotated",
            `Secret ${objectNames(db).credentials} has the new password; rolling replicas`,
          );
        }
        return;
      case "cleanup": {
        const pending = this.#live("Secret", namespace, pendingSecretName(db));
        const leftovers = [
          ...(pending === undefined ? [] : [pending]),
          ...this.#rotationJobsOf(db),
        ];
        for (const obj of leftovers) {
          if (!ownedBy(obj, db)) continue;
          await this.#o.applier.delete({
            apiVersion: obj.kind === "Job" ? "batch/v1" : "v1",
            kind: obj.kind ?? "",
            namespace,
            name: obj.metadata?.name ?? "",
            ...(obj.metadata?.uid ? { uid: obj.metadata.uid } : {}),
          }, { signal: ctx.signal });
          this.#recent.forget(obj.kind ?? "", namespace, obj.metadata?.name ?? "");
        }
        return;
      }
    }
  }

  #rotationJobsOf(db: DefaultedDatabaseV1): LiveJob[] {
    return this.#ownedOf("Job", db).filter((j) =>
      j.metadata?.labels?.["app.kubernetes.io/component"] === ROTATION_COMPONENT &&
      j.metadata?.deletionTimestamp === undefined
    ) as LiveJob[];
  }

  /** Whether this process deleted the object with `uid` in the last 30 s. */
  #recentlyDeleted(uid: string): boolean {
    const now = this.#clock.now();
    for (const [k, at] of this.#deleted) if (now - at > 30_000) this.#deleted.delete(k);
    return this.#deleted.has(uid);
  }

  #readyTimeoutMs(db: KubeObject): number {
    const text = db.metadata?.annotations?.[READY_TIMEOUT_ANNOTATION];
    const parsed = text === undefined ? undefined : parseDuration(text);
    return parsed ?? this.#o.replicaReadyTimeoutMs ?? 300_000;
  }

  /** The stopped rollout of a `stuck` step, in words naming the pod, version and what was seen. */
  #stopped(
    db: DefaultedDatabaseV1,
    step: RolloutStep,
    desiredSts: KubeObject,
  ): StoppedRollout | undefined {
    if (step.type !== "stuck") return undefined;
    const { pod, seen } = step.stuck;
    const image = imageOf(desiredSts);
    const version = db.spec.version ?? "";
    const current = db.status?.currentVersion;
    if (current !== undefined && current !== version) {
      return {
        reason: "UpgradeFailed",
        message: `${pod} did not become Ready on ${version} (${image}): ${seen}. ` +
          `The upgrade is stopped; the other replicas stay on ${current}. ` +
          `Set spec.version back to ${current} to roll ${pod} back.`,
      };
    }
    return {
      reason: "RolloutFailed",
      message: `${pod} did not become Ready with the new pod template (${image}): ${seen}. ` +
        "The rollout is stopped; the other replicas keep the previous template. " +
        `Revert the change to roll ${pod} back.`,
    };
  }

  /**
   * The cached objects of `kind` labelled with this Database's instance: read
   * through the instance index, so a reconcile costs the same with 10 or
   * 10,000 Databases in the namespace.
   */
  #ownedOf(kind: string, db: Named): readonly KubeObject[] {
    const key = instanceKey(db.metadata?.namespace ?? "", db.metadata?.name ?? "");
    return this.#o.caches.owned.get(kind)?.byIndex(INSTANCE_INDEX, key) ?? [];
  }

  #podsOf(db: DefaultedDatabaseV1): RolloutPod[] {
    const sts = objectNames(db).statefulSet;
    const out: RolloutPod[] = [];
    for (const p of this.#ownedOf("Pod", db)) {
      if (!isPodOf(p, db)) continue;
      const pod = rolloutPod(p as LivePod, sts);
      if (pod === undefined) continue;
      out.push(this.#recentlyDeleted(pod.uid) ? { ...pod, terminating: true } : pod);
    }
    return out;
  }

  #claimsOf(db: DefaultedDatabaseV1): LivePersistentVolumeClaim[] {
    const namespace = db.metadata?.namespace ?? "";
    return this.#ownedOf("PersistentVolumeClaim", db)
      .filter((p) => isDataClaimOf(p, db))
      .map((p) =>
        this.#recent.newest("PersistentVolumeClaim", namespace, p.metadata?.name ?? "", p) ?? p
      ) as LivePersistentVolumeClaim[];
  }

  #jobsOf(db: DefaultedDatabaseV1): LiveJob[] {
    return this.#ownedOf("Job", db).filter((j) =>
      j.metadata?.labels?.["app.kubernetes.io/component"] === BACKUP_COMPONENT
    ) as LiveJob[];
  }

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
    step: RolloutStep,
  ): Promise<PermanentFailure | undefined> {
    const namespace = db.metadata?.namespace ?? "";
    // Before the ConfigMap is applied: the parameters a rollout changes.
    const names = objectNames(db);
    const liveConfig = this.#live("ConfigMap", namespace, names.config)?.data;
    const desiredConfig = apply.find((o) => o.kind === "ConfigMap")?.data;
    const changedKeys = isStringMap(liveConfig) && isStringMap(desiredConfig)
      ? changedConfigKeys(liveConfig, desiredConfig)
      : [];
    const writes: {
      kind: string;
      name: string;
      key: string;
      hash: string;
      desired: KubeObject;
      isNew: boolean;
    }[] = [];
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
      if (kind === "StatefulSet" && live !== undefined) {
        this.#stsTransitions(db, liveSts, desired, step, changedKeys);
      }
      writes.push({ kind, name, key, hash, desired, isNew: live === undefined });
    }
    // The writes go out together, one round trip instead of one each. A
    // StatefulSet that exists changes only after the rest: its new pods must
    // read the new ConfigMap and Secret, never the old ones. A new one goes
    // with them (its pods wait for what is not there yet; nothing is stale).
    const later = liveSts === undefined ? [] : writes.filter((w) => w.kind === "StatefulSet");
    const first = writes.filter((w) => !later.includes(w));
    for (const round of [first, later]) {
      const results = await Promise.allSettled(round.map(async (w) => {
        const written = await this.#o.applier.apply(w.desired, { signal: ctx.signal });
        this.#recent.record(w.kind, written);
        this.#refused.delete(w.key);
        ctx.log.info("applied", { kind: w.kind, name: w.name, created: w.isNew });
      }));
      let failure: PermanentFailure | undefined;
      for (const [i, result] of results.entries()) {
        if (result.status === "fulfilled") continue;
        const err = result.reason;
        if (!(err instanceof InvalidError)) throw err;
        const w = round[i]!;
        const refused = {
          reason: "InvalidObject",
          message: `The API server refused ${w.kind} ${w.name}: ${err.message}`,
        };
        // The same object would be refused again: wait for the spec to change.
        this.#refused.set(w.key, { hash: w.hash, failure: refused });
        failure ??= refused;
      }
      if (failure !== undefined) return failure;
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
    const created = writes.filter((w) => w.isNew).map((w) => `${w.kind} ${w.name}`);
    if (created.some((c) => c.startsWith("StatefulSet "))) {
      this.#event(db, "Normal", "Created", `Created ${created.join(", ")}`);
    }
    return undefined;
  }

  #stsTransitions(
    db: DefaultedDatabaseV1,
    live: LiveStatefulSet | undefined,
    desired: KubeObject,
    step: RolloutStep,
    changedKeys: readonly string[],
  ) {
    if (live === undefined) return;
    const want = desired as LiveStatefulSet;
    const from = live.spec?.replicas ?? 1;
    const to = want.spec?.replicas ?? 1;
    if (to > from) this.#event(db, "Normal", "ScalingUp", `Scaling from ${from} to ${to}`);
    if (to < from) {
      this.#event(db, "Normal", "ScalingDown", `Scaling from ${from} to ${to}`);
    }
    if (step.type !== "start") return;
    const events = rolloutStartEvents({
      currentVersion: db.status?.currentVersion,
      version: db.spec.version ?? "",
      oldConfigHash: live.spec?.template?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION],
      newConfigHash: want.spec?.template?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION],
      changedKeys,
      firstPod: `${want.metadata?.name ?? ""}-${step.partition}`,
      previousDegradedReason: db.status?.conditions?.find((c) => c.type === "Degraded")?.reason,
    });
    for (const e of events) this.#event(db, e.type, e.reason, e.message);
  }

  async #writeStatus(
    db: DefaultedDatabaseV1,
    configHash: string | undefined,
    failure: PermanentFailure | undefined,
    ctx: ReconcileContext,
    day2: Pick<
      StatusObservation,
      "paused" | "stoppedRollout" | "storage" | "backup" | "rotationFailed"
    > = {
      paused: false,
    },
    seen: { readonly pods: number; readonly desiredStatefulSet?: KubeObject } = { pods: 0 },
  ): Promise<ReconcileResult> {
    const namespace = db.metadata?.namespace ?? "";
    const name = db.metadata?.name ?? "";
    const key = `${namespace}/${name}`;
    const names = objectNames(db);
    const live = this.#live<LiveStatefulSet>("StatefulSet", namespace, names.statefulSet);
    let sts = live;
    if (
      live !== undefined && live.metadata?.deletionTimestamp === undefined &&
      live.status?.observedGeneration !== undefined
    ) {
      // The recreated one reports: forget the deleted one. (Until the cache
      // shows the delete, the live one is still the one deleted.)
      if (this.#lastCounted.get(key)?.metadata?.uid !== live.metadata?.uid) {
        this.#lastCounted.delete(key);
      }
    } else if (db.status?.phase !== undefined && seen.pods > 0) {
      // While the StatefulSet is recreated (storage growth), or before its
      // controller has written a status, its counters say nothing about the
      // pods that keep running (the new one adopts them). The one this
      // process deleted stands in, so the status still answers this
      // generation — which can take a minute on a busy cluster — without
      // flapping; it is stale (nothing reported rolled out) when the pod
      // template wanted now differs from it. Without one (Vigil restarted
      // meanwhile, or someone else deleted it) the status is kept as it is.
      const last = this.#lastCounted.get(key);
      if (last === undefined) return {};
      const desired = seen.desiredStatefulSet;
      sts = desired !== undefined && templateMatches(desired, last) ? last : {
        ...last,
        metadata: { ...last.metadata, generation: (last.status?.observedGeneration ?? 0) + 1 },
      };
    }
    const pvcs = this.#claimsOf(db);
    const paused = day2.paused;
    const status = computeStatus({
      ...day2,
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
    if (stableJson(status) === stableJson(db.status ?? {})) {
      this.#progressSince.delete(key);
      return {};
    }
    if (progressOnly(db.status, status)) {
      const since = this.#progressSince.get(key) ?? this.#clock.now();
      this.#progressSince.set(key, since);
      // While a Database is still being created nobody waits on its counters but on
      // Ready, so they may wait longer for the next real transition.
      const creating = db.status?.conditions?.find((c) =>
        c.type === "Ready"
      )?.reason === "Creating";
      const readyMoved = (db.status?.readyReplicas ?? 0) !== status.readyReplicas;
      const windowMs = !creating
        ? this.#o.progressBatchMs ?? 1_000
        : readyMoved
        ? this.#o.creatingProgressBatchMs ?? 30_000
        : this.#o.creatingCountersBatchMs ?? 300_000;
      const waitMs = since + windowMs - this.#clock.now();
      if (waitMs > 0) return { requeueAfterMs: waitMs };
    }
    this.#progressSince.delete(key);
    const previousDegraded = db.status?.conditions?.find((c) => c.type === "Degraded");
    if (failure !== undefined && previousDegraded?.reason !== failure.reason) {
      this.#event(db, "Warning", "ReconcileFailed", failure.message);
    }
    for (const e of statusTransitionEvents(db.status, status)) {
      this.#event(db, e.type, e.reason, e.message);
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

/** The API resource of PVCs, for the growth patch. */
const PVC_RESOURCE: Resource = {
  group: "",
  version: "v1",
  plural: "persistentvolumeclaims",
  namespaced: true,
  kind: "PersistentVolumeClaim",
};

/**
 * Whether the desired pod template is what the live StatefulSet runs, with
 * {@link matchesLive}'s semantics (a subset, defaults and quantities allowed).
 */
export function templateMatches(desired: KubeObject, live: KubeObject): boolean {
  const wrap = (o: KubeObject): KubeObject => ({
    metadata: { annotations: { [APPLIED_HASH_ANNOTATION]: "template" } },
    spec: { template: (o.spec as { template?: unknown } | undefined)?.template },
  });
  return matchesLive(wrap(desired), wrap(live));
}

function imageOf(sts: KubeObject): string {
  const spec = sts.spec as
    | { template?: { spec?: { containers?: Array<{ image?: string }> } } }
    | undefined;
  return spec?.template?.spec?.containers?.[0]?.image ?? "";
}

function isStringMap(value: unknown): value is Record<string, string> {
  return value !== null && typeof value === "object" &&
    Object.values(value).every((v) => typeof v === "string");
}

function blockedMessage(db: DefaultedDatabaseV1, plan: ResizePlan): string | undefined {
  if (plan.blocked.length === 0) return undefined;
  const classes = [...new Set(plan.blocked.map((b) => b.className))].map((c) => `"${c}"`);
  return `spec.storageSize: ${db.spec.storageSize} cannot be provisioned: StorageClass ` +
    `${classes.join(", ")} does not allow volume expansion (allowVolumeExpansion is not true), ` +
    `so ${plan.blocked.map((b) => b.claim).join(", ")} keep their size; ` +
    "allow expansion on the class, or set spec.storageSize back";
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
