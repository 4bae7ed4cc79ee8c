/**
 * Per-Database gauges the alerts of `deploy/monitoring/` need, read from the
 * informer caches at every scrape:
 *
 * - `vigil_database_status_condition{namespace,name,condition}`: 1 while the
 *   condition's status is `True`, else 0 (`False`, `Unknown` or not yet
 *   reported); always present for Ready, Available, Progressing and
 *   Degraded, and for any other condition the Database reports.
 * - `vigil_database_backup_schedule_interval_seconds{namespace,name}`: the
 *   longest gap between two runs of `spec.backupSchedule` (Databases with a
 *   schedule that ever runs).
 * - `vigil_database_backup_last_success_timestamp_seconds{namespace,name}`:
 *   `status.lastBackupTime` (once a backup has succeeded).
 * - `vigil_database_backup_cronjob_created_timestamp_seconds{namespace,name}`:
 *   when the backup CronJob was created, so a Database that never had a
 *   backup is measured from when its schedule began.
 *
 * Cardinality is bounded by the cache: every scrape resets the gauges and
 * sets one series per cached Database, so a deleted Database's series are
 * gone at the next scrape. Each replica reports what its own cache holds
 * (caches run on standbys too): aggregate with `max by (namespace, name)`.
 *
 * @module
 */
import { Gauge, type Registry } from "../observability/prom.ts";
import { CONDITION_TYPES } from "../database/mod.ts";
import type { KubeObject, Store } from "../runtime/mod.ts";
import { longestBackupIntervalSeconds } from "./backup_interval.ts";

interface CachedDatabase {
  metadata?: { name?: string; namespace?: string };
  spec?: { backupSchedule?: string };
  status?: {
    conditions?: ReadonlyArray<{ type?: string; status?: string }>;
    lastBackupTime?: string;
  };
}

/** Where {@link registerDatabaseMetrics} reads from. */
export interface DatabaseMetricsSources {
  readonly databases: Store<KubeObject>;
  /** The cache of Vigil's CronJobs (keyed `namespace/name`). */
  readonly cronJobs: Store<KubeObject> | undefined;
}

/** Schedules seen, with their interval: computing one walks 400 years of days. */
const INTERVALS_KEPT = 1024;

/** Registers the per-Database gauges on `registry`. */
export function registerDatabaseMetrics(registry: Registry, sources: DatabaseMetricsSources): void {
  const registers = [registry];
  const labelNames = ["namespace", "name"] as const;
  const intervals = new Map<string, number | undefined>();
  const intervalOf = (schedule: string) => {
    if (!intervals.has(schedule)) {
      if (intervals.size >= INTERVALS_KEPT) intervals.clear();
      intervals.set(schedule, longestBackupIntervalSeconds(schedule));
    }
    return intervals.get(schedule);
  };
  const each = (
    visit: (db: CachedDatabase, labels: { namespace: string; name: string }) => void,
  ) => {
    for (const obj of sources.databases.list()) {
      const db = obj as CachedDatabase;
      const namespace = db.metadata?.namespace;
      const name = db.metadata?.name;
      if (namespace !== undefined && name !== undefined) visit(db, { namespace, name });
    }
  };
  new Gauge({
    name: "vigil_database_status_condition",
    help:
      "1 while the Database's status condition is True, else 0 (False, Unknown or not reported)",
    labelNames: [...labelNames, "condition"],
    registers,
    collect() {
      this.reset();
      each((db, labels) => {
        const types = new Set<string>(CONDITION_TYPES);
        for (const c of db.status?.conditions ?? []) if (c.type !== undefined) types.add(c.type);
        for (const condition of types) {
          const status = db.status?.conditions?.find((c) => c.type === condition)?.status;
          this.set({ ...labels, condition }, status === "True" ? 1 : 0);
        }
      });
    },
  });
  new Gauge({
    name: "vigil_database_backup_schedule_interval_seconds",
    help: "Longest time between two runs of the Database's backup schedule",
    labelNames,
    registers,
    collect() {
      this.reset();
      each((db, labels) => {
        const schedule = db.spec?.backupSchedule;
        const seconds = schedule === undefined ? undefined : intervalOf(schedule);
        if (seconds !== undefined) this.set(labels, seconds);
      });
    },
  });
  new Gauge({
    name: "vigil_database_backup_last_success_timestamp_seconds",
    help: "When the Database's last successful backup finished (Unix seconds)",
    labelNames,
    registers,
    collect() {
      this.reset();
      each((db, labels) => {
        const at = Date.parse(db.status?.lastBackupTime ?? "");
        if (!Number.isNaN(at)) this.set(labels, at / 1000);
      });
    },
  });
  new Gauge({
    name: "vigil_database_backup_cronjob_created_timestamp_seconds",
    help: "When the Database's backup CronJob was created (Unix seconds)",
    labelNames,
    registers,
    collect() {
      this.reset();
      each((db, labels) => {
        if (db.spec?.backupSchedule === undefined) return;
        const cronJob = sources.cronJobs?.get(`${labels.namespace}/${labels.name}-backup`);
        const at = Date.parse(String(cronJob?.metadata?.creationTimestamp ?? ""));
        if (!Number.isNaN(at)) this.set(labels, at / 1000);
      });
    },
  });
}
