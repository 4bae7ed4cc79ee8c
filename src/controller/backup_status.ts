/**
 * What the backup CronJob's Jobs say about a Database's backups, as a pure
 * function: when the last successful backup finished, and whether the latest
 * run failed.
 *
 * @module
 */
import type { LiveJob } from "./observed_kinds.ts";

/** The backup part of a Database's status. */
export interface BackupState {
  /** `completionTime` of the newest successful Job, never older than the previous value. */
  readonly lastBackupTime: string | undefined;
  /** The newest finished Job, when it failed. */
  readonly failed: { readonly job: string; readonly message: string } | undefined;
}

function condition(job: LiveJob, type: string) {
  return job.status?.conditions?.find((c) => c.type === type && c.status === "True");
}

function startedAt(job: LiveJob): number {
  const t = Date.parse(job.status?.startTime ?? String(job.metadata?.creationTimestamp ?? ""));
  return Number.isNaN(t) ? 0 : t;
}

/**
 * Reads the backup state from the Database's Jobs.
 *
 * @example
 * ```ts
 * import { backupState } from "./backup_status.ts";
 * const done = {
 *   metadata: { name: "a-backup-1" },
 *   status: { completionTime: "2026-12-01T03:00:10Z", conditions: [{ type: "Complete", status: "True" }] },
 * };
 * console.assert(backupState([done], undefined).lastBackupTime === "2026-12-01T03:00:10Z");
 * ```
 */
export function backupState(
  jobs: readonly LiveJob[],
  previousLastBackupTime: string | undefined,
): BackupState {
  let last = previousLastBackupTime;
  let newest: { job: LiveJob; at: number; failed: boolean } | undefined;
  for (const job of jobs) {
    const complete = condition(job, "Complete");
    const failed = condition(job, "Failed");
    if (complete !== undefined) {
      const at = job.status?.completionTime ?? complete.lastTransitionTime;
      if (at !== undefined && (last === undefined || Date.parse(at) > Date.parse(last))) last = at;
    }
    if (complete === undefined && failed === undefined) continue;
    const at = startedAt(job);
    if (newest === undefined || at > newest.at) newest = { job, at, failed: failed !== undefined };
  }
  const failedJob = newest?.failed ? newest.job : undefined;
  const failure = failedJob === undefined ? undefined : condition(failedJob, "Failed");
  return {
    lastBackupTime: last,
    failed: failedJob === undefined ? undefined : {
      job: failedJob.metadata?.name ?? "",
      message: `Backup Job ${failedJob.metadata?.name ?? ""} failed: ${
        failure?.reason ?? "Failed"
      }${failure?.message ? ` (${failure.message})` : ""}`,
    },
  };
}
