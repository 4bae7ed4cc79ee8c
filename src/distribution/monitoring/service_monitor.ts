/**
 * The Prometheus Operator objects: a ServiceMonitor scraping the
 * `vigil-metrics` Service and a PrometheusRule holding the alert rules.
 *
 * Decisions:
 * - `honorLabels: true`: the per-Database gauges carry the Database's own
 *   `namespace` and `name`, which must win over the target's `namespace`
 *   (`vigil-system`) — as kube-state-metrics does for the objects it reports.
 *   Vigil's other series carry no such label and get the target's.
 * - No `namespaceSelector`: a ServiceMonitor selects Services in its own
 *   namespace, the one Vigil is installed into, whatever that is.
 *
 * @module
 */
import {
  APP_NAME,
  installLabels,
  type KubeObject,
  NAMESPACE,
  resolveInstallOptions,
} from "../install_options.ts";
import { alertRuleGroups } from "./alert_rules.ts";
import type { MonitoringOptions } from "./monitoring_options.ts";

/** Name of the ServiceMonitor and of the PrometheusRule. */
export const MONITOR_NAME = APP_NAME;

/** The ServiceMonitor for the metrics Service's `metrics` port. */
export function buildServiceMonitor(options: MonitoringOptions = {}): KubeObject {
  const o = resolveInstallOptions(options);
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: {
      name: MONITOR_NAME,
      namespace: NAMESPACE,
      labels: { ...installLabels(o, "metrics"), ...options.monitorLabels },
    },
    spec: {
      selector: {
        matchLabels: {
          "app.kubernetes.io/name": APP_NAME,
          "app.kubernetes.io/component": "metrics",
        },
      },
      endpoints: [{
        port: "metrics",
        path: "/metrics",
        scheme: "http",
        interval: options.scrapeInterval ?? "30s",
        honorLabels: true,
      }],
    },
  };
}

/** The PrometheusRule: the groups of {@linkcode alertRuleGroups}. */
export function buildPrometheusRule(options: MonitoringOptions = {}): KubeObject {
  const o = resolveInstallOptions(options);
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: {
      name: MONITOR_NAME,
      namespace: NAMESPACE,
      labels: { ...installLabels(o, "metrics"), ...options.monitorLabels },
    },
    spec: { groups: alertRuleGroups(options) },
  };
}
