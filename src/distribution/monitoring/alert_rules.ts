/**
 * The alerts a platform team needs for Vigil, as a Prometheus rule group.
 *
 * Decisions:
 * - Every selector names `job="vigil-metrics"` ({@linkcode METRICS_JOB}), so
 *   the rules never match another operator's controller-runtime series.
 * - Both replicas export the per-Database gauges (their caches run on
 *   standbys too), so those alerts aggregate `by (namespace, name)`: an
 *   alert fires once per Database, not once per replica.
 * - Thresholds are starting points, stated in each rule's description so an
 *   on-call engineer sees what was crossed.
 *
 * @module
 */
import { resolveInstallOptions } from "../install_options.ts";
import { METRICS_JOB, type MonitoringOptions } from "./monitoring_options.ts";

/** One alerting rule, in Prometheus' rule-file shape. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: "warning" | "critical" };
  readonly annotations: { readonly summary: string; readonly description: string };
}

/** A rule group, in Prometheus' rule-file shape. */
export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/** Share of reconciles ending in an error above which {@linkcode ALERT_NAMES.reconcileErrors} fires. */
export const RECONCILE_ERROR_RATIO = 0.1;
/** Webhook p99 latency, in seconds, above which the webhook alert fires. */
export const WEBHOOK_P99_SECONDS = 0.5;
/** Time a backup Job may take after its scheduled run before the backup counts as overdue. */
export const BACKUP_GRACE_SECONDS = 3600;

/** The alert names, stable: runbooks and silences refer to them. */
export const ALERT_NAMES = {
  reconcileErrors: "VigilReconcileErrors",
  workqueueNotDraining: "VigilWorkqueueNotDraining",
  noLeader: "VigilNoLeader",
  webhookLatency: "VigilWebhookLatencyHigh",
  databaseNotReady: "VigilDatabaseNotReady",
  databaseDegraded: "VigilDatabaseDegraded",
  backupOverdue: "VigilDatabaseBackupOverdue",
} as const;

const J = `job="${METRICS_JOB}"`;
const DB = "{{ $labels.namespace }}/{{ $labels.name }}";

/**
 * Vigil's alerting rules: one group, `vigil`.
 *
 * With `leaderElect: false` there is no Lease and no
 * `leader_election_master_status`, so the no-leader alert is left out.
 *
 * @example
 * ```ts
 * import { alertRuleGroups } from "./alert_rules.ts";
 * const [group] = alertRuleGroups();
 * console.assert(group!.rules.some((r) => r.alert === "VigilNoLeader"));
 * ```
 */
export function alertRuleGroups(options: MonitoringOptions = {}): RuleGroup[] {
  const o = resolveInstallOptions(options);
  const rules: AlertRule[] = [
    {
      alert: ALERT_NAMES.reconcileErrors,
      expr: `sum by (controller) (rate(controller_runtime_reconcile_errors_total{${J}}[5m]))\n` +
        `  / sum by (controller) (rate(controller_runtime_reconcile_total{${J}}[5m]))\n` +
        `  > ${RECONCILE_ERROR_RATIO}`,
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Vigil's {{ $labels.controller }} reconciles keep failing",
        description: "{{ $value | humanizePercentage }} of the {{ $labels.controller }} " +
          `controller's reconciles failed over the last 5 minutes (threshold ${
            RECONCILE_ERROR_RATIO * 100
          }%, for 15 minutes). Vigil's logs name the Database and the error.`,
      },
    },
    {
      alert: ALERT_NAMES.workqueueNotDraining,
      expr: `min_over_time(workqueue_depth{${J}}[15m]) > 0\n` +
        `  and deriv(workqueue_depth{${J}}[15m]) >= 0`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Vigil's {{ $labels.name }} workqueue is not draining",
        description: "The {{ $labels.name }} workqueue on {{ $labels.pod }} held at least " +
          "{{ $value }} keys at every scrape of the last 15 minutes and is not shrinking: " +
          "Databases wait ever longer for their reconcile. Look for slow or stuck reconciles and API server throttling.",
      },
    },
    ...(o.leaderElect
      ? [{
        alert: ALERT_NAMES.noLeader,
        expr: `(max(leader_election_master_status{${J}, name="${o.leaderElectionId}"}) ` +
          `or vector(0)) < 1`,
        for: "2m",
        labels: { severity: "critical" as const },
        annotations: {
          summary: "No Vigil replica leads",
          description: `No Vigil replica has held the ${o.leaderElectionId} Lease for 2 minutes ` +
            "(or none is scraped): no Database is being reconciled. Check the vigil pods " +
            "and their access to the API server.",
        },
      }]
      : []),
    {
      alert: ALERT_NAMES.webhookLatency,
      expr: "histogram_quantile(0.99,\n" +
        `  sum by (webhook, le) (rate(controller_runtime_webhook_latency_seconds_bucket{${J}}[5m]))\n` +
        `) > ${WEBHOOK_P99_SECONDS}`,
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Vigil's {{ $labels.webhook }} webhook is slow",
        description: "The 99th percentile of {{ $labels.webhook }} admission latency is " +
          `{{ $value | humanizeDuration }} (threshold ${WEBHOOK_P99_SECONDS * 1000} ms, for ` +
          "10 minutes): every Database create and update waits for it.",
      },
    },
    {
      alert: ALERT_NAMES.databaseNotReady,
      expr: "max by (namespace, name) (\n" +
        `  vigil_database_status_condition{${J}, condition="Ready"}\n` +
        ") == 0",
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: `Database ${DB} is not Ready`,
        description: `Database ${DB} has not been Ready for 10 minutes. ` +
          `\`kubectl -n {{ $labels.namespace }} describe database {{ $labels.name }}\` ` +
          "shows its conditions and events.",
      },
    },
    {
      alert: ALERT_NAMES.databaseDegraded,
      expr: "min by (namespace, name) (\n" +
        `  vigil_database_status_condition{${J}, condition="Degraded"}\n` +
        ") == 1",
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: `Database ${DB} is Degraded`,
        description: `Database ${DB} has been Degraded for 10 minutes. ` +
          "Its Degraded condition's reason and message say why.",
      },
    },
    {
      alert: ALERT_NAMES.backupOverdue,
      expr: "time() - max by (namespace, name) (\n" +
        `    vigil_database_backup_last_success_timestamp_seconds{${J}}\n` +
        `  or vigil_database_backup_cronjob_created_timestamp_seconds{${J}}\n` +
        ")\n" +
        "> max by (namespace, name) (\n" +
        `    vigil_database_backup_schedule_interval_seconds{${J}}\n` +
        `) + ${BACKUP_GRACE_SECONDS}`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: `Database ${DB} has no recent backup`,
        description:
          `The last successful backup of ${DB} finished {{ $value | humanizeDuration }} ` +
          "ago (or it never had one since its schedule began), longer than its backup schedule " +
          `allows plus ${BACKUP_GRACE_SECONDS / 60} minutes. Its BackupFailed condition and the ` +
          "backup Jobs' logs say why.",
      },
    },
  ];
  return [{ name: "vigil", rules }];
}
