/**
 * Recomputes a Database's status from what is observed — its StatefulSet,
 * its data PVCs, and the outcome of this reconcile — as a pure function.
 *
 * ## Guarantees
 * - The same observation gives the same status (the clock only moves a
 *   condition's `lastTransitionTime`, and only when its status flips), so an
 *   unchanged world compares equal and costs no write.
 * - Every condition carries `observedGeneration` = `metadata.generation`.
 * - `currentVersion` changes only once every replica runs the new revision.
 *
 * @module
 */
import {
  compareQuantities,
  type DatabaseStatus,
  type DefaultedDatabaseV1,
  type Phase,
} from "../database/mod.ts";
import type { BackupState } from "./backup_status.ts";
import { type ConditionInput, findCondition, mergeConditions } from "./conditions.ts";
import type { LivePersistentVolumeClaim, LiveStatefulSet } from "./observed_kinds.ts";

/** A failure this reconcile ran into that retrying will not fix. */
export interface PermanentFailure {
  /** CamelCase, e.g. `InvalidImage`. */
  readonly reason: string;
  /** Names the field, the value and what would be accepted. */
  readonly message: string;
}

/** A rollout that stopped on a replica (see `nextRolloutStep`). */
export interface StoppedRollout {
  /** `UpgradeFailed` when the version changes, else `RolloutFailed`. */
  readonly reason: "UpgradeFailed" | "RolloutFailed";
  /** Names the pod, the version and what was seen. */
  readonly message: string;
}

/** The storage part of the observation (see `resizePlan`). */
export interface StorageObservation {
  /** `spec.storageSize`. */
  readonly desired: string;
  /** Claims at the desired capacity out of all, while some are not. */
  readonly resizing: { readonly done: number; readonly total: number } | undefined;
  /** Why the claims cannot grow, when they cannot. */
  readonly blocked: string | undefined;
}

/** Everything {@link computeStatus} looks at. */
export interface StatusObservation {
  readonly db: DefaultedDatabaseV1;
  readonly statefulSet: LiveStatefulSet | undefined;
  /** The Database's data PVCs (from the claim template). */
  readonly pvcs: readonly LivePersistentVolumeClaim[];
  /** Hash of the config the StatefulSet's pod template is meant to carry. */
  readonly configHash: string;
  readonly selector: string;
  readonly endpoints: { readonly readWrite: string; readonly readOnly: string };
  readonly credentialsSecret: string;
  readonly paused: boolean;
  readonly failure?: PermanentFailure | undefined;
  /** Set while a rollout is stopped on a replica that did not become Ready. */
  readonly stoppedRollout?: StoppedRollout | undefined;
  readonly storage?: StorageObservation | undefined;
  /** Why a credentials rotation stopped, while it is stopped. */
  readonly rotationFailed?: string | undefined;
  /** The backup Jobs' verdict; undefined when there is no backup schedule. */
  readonly backup?: BackupState | undefined;
  readonly now: Date;
}

/** Whether every replica of a StatefulSet runs its latest revision and is ready. */
export function rolledOut(sts: LiveStatefulSet | undefined, replicas: number): boolean {
  if (sts === undefined) return false;
  const s = sts.status ?? {};
  const generation = sts.metadata?.generation ?? 0;
  return (s.observedGeneration ?? 0) >= generation &&
    (sts.spec?.replicas ?? 1) === replicas &&
    (s.replicas ?? 0) === replicas &&
    (s.updatedReplicas ?? 0) === replicas &&
    (s.readyReplicas ?? 0) === replicas &&
    (s.currentRevision === undefined || s.currentRevision === s.updateRevision);
}

/** The smallest `status.capacity.storage` among the PVCs (what every replica has at least). */
export function actualStorage(pvcs: readonly LivePersistentVolumeClaim[]): string | undefined {
  let min: string | undefined;
  for (const pvc of pvcs) {
    const capacity = pvc.status?.capacity?.storage;
    if (capacity === undefined) continue;
    if (min === undefined || compareQuantities(capacity, min) < 0) min = capacity;
  }
  return min;
}

/** The status that describes the observation; see the module doc. */
export function computeStatus(o: StatusObservation): DatabaseStatus {
  const { db } = o;
  const previous = db.status ?? {};
  const generation = db.metadata?.generation ?? 0;
  const desired = db.spec.replicas;
  const version = db.spec.version ?? "";
  const sts = o.statefulSet;
  const ready = sts?.status?.readyReplicas ?? 0;
  const existing = sts?.status?.replicas ?? 0;
  const done = rolledOut(sts, desired);
  const stsCurrent = sts !== undefined &&
    (sts.status?.observedGeneration ?? 0) >= (sts.metadata?.generation ?? 0);
  const updated = stsCurrent ? sts?.status?.updatedReplicas ?? 0 : 0;
  const currentVersion = done ? version : previous.currentVersion;
  const upgrading = currentVersion !== undefined && currentVersion !== version;
  const deleting = db.metadata?.deletionTimestamp !== undefined;

  const conditions: ConditionInput[] = [];
  const replicasMessage = `${ready}/${desired} replicas ready`;
  conditions.push(
    ready > 0
      ? {
        type: "Available",
        status: "True",
        reason: "MinimumReplicasAvailable",
        message: replicasMessage,
      }
      : { type: "Available", status: "False", reason: "NoReplicaReady", message: replicasMessage },
  );
  const stopped = o.paused ? undefined : o.stoppedRollout;
  if (stopped !== undefined) {
    conditions.push({
      type: "Progressing",
      status: "False",
      reason: stopped.reason,
      message: `${updated}/${desired} replicas on the new revision; stopped: ${stopped.message}`,
    });
  } else if (o.paused) {
    conditions.push({
      type: "Progressing",
      status: "False",
      reason: "Paused",
      message: 'vigil.dev/paused is "true": changes to the spec are not applied',
    });
  } else if (done) {
    conditions.push({
      type: "Progressing",
      status: "False",
      reason: "RolloutComplete",
      message: `${desired}/${desired} replicas on ${version}`,
    });
  } else {
    conditions.push({
      type: "Progressing",
      status: "True",
      // Reasons stay put while a Database is being created, so the pod-by-pod
      // progress of a creation is a progress-only change (see progressOnly).
      reason: upgrading
        ? "Upgrading"
        : currentVersion === undefined
        ? "Creating"
        : existing < desired
        ? "ScalingUp"
        : existing > desired
        ? "ScalingDown"
        : "RollingOut",
      message: upgrading
        ? `${updated}/${desired} replicas on ${version}`
        : `${updated}/${desired} replicas updated, ${replicasMessage}`,
    });
  }
  const crashed = stsCurrent && updated === desired && ready < desired &&
    previous.phase === "Running" && !o.paused;
  const blocked = o.paused ? undefined : o.storage?.blocked;
  conditions.push(
    o.failure !== undefined
      ? { type: "Degraded", status: "True", reason: o.failure.reason, message: o.failure.message }
      : stopped !== undefined
      ? { type: "Degraded", status: "True", reason: stopped.reason, message: stopped.message }
      : o.rotationFailed !== undefined && !o.paused
      ? {
        type: "Degraded",
        status: "True",
        reason: "CredentialsRotationFailed",
        message: o.rotationFailed,
      }
      : blocked !== undefined
      ? {
        type: "Degraded",
        status: "True",
        reason: "StorageExpansionNotSupported",
        message: blocked,
      }
      : crashed
      ? {
        type: "Degraded",
        status: "True",
        reason: "ReplicasNotReady",
        message: `${replicasMessage} after the rollout completed`,
      }
      : { type: "Degraded", status: "False", reason: "AsExpected", message: "No problem seen" },
  );
  const isReady = done && o.failure === undefined;
  conditions.push(
    isReady
      ? { type: "Ready", status: "True", reason: "DatabaseReady", message: replicasMessage }
      : {
        type: "Ready",
        status: "False",
        reason: o.failure?.reason ??
          (currentVersion === undefined ? "Creating" : "ReplicasNotReady"),
        message: o.failure?.message ?? replicasMessage,
      },
  );

  const resizing = storageCondition(o, previous);
  if (resizing !== undefined) conditions.push(resizing);
  if (o.backup !== undefined) {
    const failed = o.backup.failed;
    conditions.push(
      failed !== undefined
        ? { type: "BackupFailed", status: "True", reason: "JobFailed", message: failed.message }
        : o.backup.lastBackupTime !== undefined
        ? {
          type: "BackupFailed",
          status: "False",
          reason: "BackupSucceeded",
          message: `Last successful backup finished at ${o.backup.lastBackupTime}`,
        }
        : {
          type: "BackupFailed",
          status: "False",
          reason: "NoBackupYet",
          message: "No backup has finished yet",
        },
    );
  }

  const phase: Phase = deleting
    ? "Terminating"
    : o.failure !== undefined
    ? "Failed"
    : upgrading
    ? "Upgrading"
    : done || ((previous.phase === "Running" || previous.phase === "Upgrading") && ready > 0)
    ? "Running"
    : "Pending";

  const storageSize = actualStorage(o.pvcs);
  const configHash = done ? o.configHash : previous.configHash;
  const status: DatabaseStatus = {
    conditions: mergeConditions(previous.conditions, conditions, {
      observedGeneration: generation,
      now: o.now,
    }),
    phase,
    replicas: existing,
    readyReplicas: ready,
    ready: `${ready}/${desired}`,
    observedGeneration: generation,
    endpoints: { readWrite: o.endpoints.readWrite, readOnly: o.endpoints.readOnly },
    credentialsSecret: o.credentialsSecret,
    selector: o.selector,
    message: o.failure?.message ??
      (o.paused ? "Paused" : isReady ? "Database is ready" : `Waiting: ${replicasMessage}`),
  };
  if (currentVersion !== undefined) status.currentVersion = currentVersion;
  if (configHash !== undefined) status.configHash = configHash;
  if (storageSize !== undefined) status.storageSize = storageSize;
  const lastBackupTime = o.backup?.lastBackupTime ?? previous.lastBackupTime;
  if (lastBackupTime !== undefined) status.lastBackupTime = lastBackupTime;
  return status;
}

/**
 * The `Resizing` condition: True while claims grow, False with
 * `ExpansionNotSupported` when they cannot, and False with `StorageResized`
 * once they all reached the size — present from the first resize on.
 */
function storageCondition(
  o: StatusObservation,
  previous: DatabaseStatus,
): ConditionInput | undefined {
  const storage = o.storage;
  if (storage === undefined) return undefined;
  if (storage.blocked !== undefined) {
    return {
      type: "Resizing",
      status: "False",
      reason: "ExpansionNotSupported",
      message: storage.blocked,
    };
  }
  if (storage.resizing !== undefined) {
    return {
      type: "Resizing",
      status: "True",
      reason: "ExpandingVolumes",
      message: `${storage.resizing.done}/${storage.resizing.total} volumes at ${storage.desired}`,
    };
  }
  if (findCondition(previous.conditions, "Resizing") === undefined) return undefined;
  return {
    type: "Resizing",
    status: "False",
    reason: "StorageResized",
    message: `All volumes at ${storage.desired}`,
  };
}

/**
 * Whether `next` differs from `previous` only in progress counters and
 * messages (replicas, readyReplicas, ready, storageSize, message, condition messages),
 * with every phase, condition status and reason unchanged. Such changes can
 * wait a moment and be written together, so a Database that becomes Ready in
 * a second costs two status writes rather than one per pod event.
 */
export function progressOnly(previous: DatabaseStatus | undefined, next: DatabaseStatus): boolean {
  if (previous === undefined) return false;
  const strip = (s: DatabaseStatus) => {
    const {
      replicas: _r,
      readyReplicas: _rr,
      ready: _re,
      message: _m,
      storageSize: _s,
      conditions,
      ...rest
    } = s;
    return {
      ...rest,
      conditions: (conditions ?? []).map(({ message: _cm, ...c }) => c),
    };
  };
  return JSON.stringify(strip(previous)) === JSON.stringify(strip(next));
}
