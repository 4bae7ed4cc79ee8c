/**
 * Everything Vigil ships for Prometheus and Grafana, and the files
 * `tools/gen_deploy.ts` writes under `deploy/monitoring/`:
 *
 * - `vigil-monitoring.yaml`: the ServiceMonitor, the PrometheusRule and the
 *   dashboard ConfigMap, for a cluster running the Prometheus Operator and
 *   Grafana's dashboard sidecar (`kubectl apply -f`);
 * - `vigil.rules.yaml`: the same alert rules as a plain Prometheus rule file
 *   (what `promtool check rules` and `promtool test rules` read);
 * - `vigil-dashboard.json`: the dashboard, to import by hand.
 *
 * @module
 */
import YAML from "yaml";
import type { KubeObject } from "../install_options.ts";
import { alertRuleGroups } from "./alert_rules.ts";
import {
  buildDashboard,
  buildDashboardConfigMap,
  dashboardExpressions,
  renderDashboardJson,
} from "./dashboard.ts";
import type { MonitoringOptions } from "./monitoring_options.ts";
import { promqlMetricNames } from "./promql_metric_names.ts";
import { buildPrometheusRule, buildServiceMonitor } from "./service_monitor.ts";

/** Where the monitoring files live, relative to the repository root. */
export const MONITORING_DIR = "deploy/monitoring";

/** The monitoring objects of an installation. */
export interface MonitoringObjects {
  readonly serviceMonitor: KubeObject;
  readonly prometheusRule: KubeObject;
  /** Holds the dashboard JSON, labelled for Grafana's dashboard sidecar. */
  readonly dashboardConfigMap: KubeObject;
  /** The dashboard JSON model itself. */
  readonly dashboard: Record<string, unknown>;
}

/**
 * The ServiceMonitor, the PrometheusRule, the dashboard ConfigMap and the
 * dashboard, for `options` (the install options plus the monitoring ones).
 *
 * @example
 * ```ts
 * import { monitoringObjects } from "./monitoring_objects.ts";
 * const { serviceMonitor } = monitoringObjects({ monitorLabels: { release: "kube-prometheus-stack" } });
 * console.assert(serviceMonitor.kind === "ServiceMonitor");
 * ```
 */
export function monitoringObjects(options: MonitoringOptions = {}): MonitoringObjects {
  return {
    serviceMonitor: buildServiceMonitor(options),
    prometheusRule: buildPrometheusRule(options),
    dashboardConfigMap: buildDashboardConfigMap(options),
    dashboard: buildDashboard(),
  };
}

/**
 * Every metric name a rule expression or a dashboard query selects (sample
 * names: a histogram's `_bucket`), sorted.
 */
export function monitoredMetricNames(options: MonitoringOptions = {}): string[] {
  const exprs = [
    ...alertRuleGroups(options).flatMap((g) => g.rules.map((r) => r.expr)),
    ...dashboardExpressions(),
  ];
  return [...new Set(exprs.flatMap(promqlMetricNames))].sort();
}

const HEADER =
  "# Generated from src/distribution/monitoring by tools/gen_deploy.ts; do not edit.\n" +
  "# Regenerate with: deno task deploy\n";

function yaml(value: unknown): string {
  return YAML.stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** The files under {@linkcode MONITORING_DIR}, by path relative to the repository root. */
export function renderMonitoringFiles(options: MonitoringOptions = {}): Map<string, string> {
  const objects = monitoringObjects(options);
  const manifest = [objects.serviceMonitor, objects.prometheusRule, objects.dashboardConfigMap]
    .map((o) => "---\n" + yaml(o)).join("");
  return new Map([
    [
      `${MONITORING_DIR}/vigil-monitoring.yaml`,
      "# Vigil's ServiceMonitor, PrometheusRule and Grafana dashboard ConfigMap\n" +
      "# (needs the Prometheus Operator's CRDs; apply after deploy/vigil.yaml).\n" + HEADER +
      manifest,
    ],
    [
      `${MONITORING_DIR}/vigil.rules.yaml`,
      "# Vigil's alert rules as a Prometheus rule file (rule_files:).\n" + HEADER +
      yaml({ groups: alertRuleGroups(options) }),
    ],
    [`${MONITORING_DIR}/vigil-dashboard.json`, renderDashboardJson()],
  ]);
}
