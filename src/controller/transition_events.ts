/**
 * The events of day-2 operations, as pure functions of what changed: the
 * start of a rollout (from the old and new pod templates), and the status
 * transitions that end one (upgrade completed or failed, storage resized or
 * refused, a backup failed). Events follow status transitions, and the status
 * lives in the cluster, so a new leader never repeats one.
 *
 * @module
 */
import type { DatabaseStatus } from "../database/mod.ts";
import { findCondition } from "./conditions.ts";

/** One event to record on the Database. */
export interface TransitionEvent {
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

/** What {@link rolloutStartEvents} compares. */
export interface RolloutStart {
  /** `status.currentVersion` (undefined before the first rollout completed). */
  readonly currentVersion: string | undefined;
  /** `spec.version`. */
  readonly version: string;
  readonly oldConfigHash: string | undefined;
  readonly newConfigHash: string | undefined;
  /** Engine parameters whose value changed (names only). */
  readonly changedKeys: readonly string[];
  /** The pod that is replaced first. */
  readonly firstPod: string;
  /** The Degraded reason in the status before this rollout. */
  readonly previousDegradedReason: string | undefined;
}

const STOPPED = new Set(["UpgradeFailed", "RolloutFailed"]);

/**
 * The events of a new pod template being rolled out: `UpgradeStarted` when the
 * version changes, `ConfigChanged` (with the changed parameter names, never
 * values) when the config does, `RollbackStarted` when a stopped rollout is
 * undone, else `RolloutStarted`.
 */
export function rolloutStartEvents(s: RolloutStart): TransitionEvent[] {
  const events: TransitionEvent[] = [];
  const oneByOne = `one replica at a time, ${s.firstPod} first`;
  if (s.currentVersion !== undefined && s.currentVersion !== s.version) {
    events.push({
      type: "Normal",
      reason: "UpgradeStarted",
      message: `Upgrading from ${s.currentVersion} to ${s.version}, ${oneByOne}`,
    });
  }
  if (
    s.oldConfigHash !== undefined && s.newConfigHash !== undefined &&
    s.oldConfigHash !== s.newConfigHash
  ) {
    const keys = s.changedKeys.length > 0 ? ` (${s.changedKeys.join(", ")})` : "";
    events.push({
      type: "Normal",
      reason: "ConfigChanged",
      message: `spec.config changed${keys}; rolling ${oneByOne}`,
    });
  }
  if (events.length > 0) return events;
  if (s.previousDegradedReason !== undefined && STOPPED.has(s.previousDegradedReason)) {
    return [{
      type: "Normal",
      reason: "RollbackStarted",
      message: `Rolling back to ${s.version}, ${oneByOne}`,
    }];
  }
  return [{
    type: "Normal",
    reason: "RolloutStarted",
    message: `The pod template changed; rolling ${oneByOne}`,
  }];
}

/** The events a status change warrants; see the module documentation. */
export function statusTransitionEvents(
  previous: DatabaseStatus | undefined,
  next: DatabaseStatus,
): TransitionEvent[] {
  const events: TransitionEvent[] = [];
  const before = previous ?? {};
  if (
    before.currentVersion !== undefined && next.currentVersion !== undefined &&
    before.currentVersion !== next.currentVersion
  ) {
    events.push({
      type: "Normal",
      reason: "UpgradeCompleted",
      message: `Every replica runs ${next.currentVersion} (was ${before.currentVersion})`,
    });
  }
  const degraded = findCondition(next.conditions, "Degraded");
  const wasDegraded = findCondition(before.conditions, "Degraded");
  if (
    degraded?.status === "True" && wasDegraded?.reason !== degraded.reason &&
    (STOPPED.has(degraded.reason) || degraded.reason === "StorageExpansionNotSupported" ||
      degraded.reason === "CredentialsRotationFailed")
  ) {
    events.push({ type: "Warning", reason: degraded.reason, message: degraded.message });
  }
  const resizing = findCondition(next.conditions, "Resizing");
  const wasResizing = findCondition(before.conditions, "Resizing");
  if (
    resizing?.reason === "StorageResized" && wasResizing !== undefined &&
    wasResizing.reason !== "StorageResized"
  ) {
    events.push({ type: "Normal", reason: "StorageResized", message: resizing.message });
  }
  const backup = findCondition(next.conditions, "BackupFailed");
  const wasBackup = findCondition(before.conditions, "BackupFailed");
  if (
    backup?.status === "True" &&
    (wasBackup?.status !== "True" || wasBackup.message !== backup.message)
  ) {
    events.push({ type: "Warning", reason: "BackupFailed", message: backup.message });
  }
  return events;
}
