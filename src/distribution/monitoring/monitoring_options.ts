/**
 * What a platform team chooses for Vigil's monitoring objects, and the
 * names every rule and panel selects on.
 *
 * @module
 */
import { type InstallOptions, METRICS_SERVICE } from "../install_options.ts";

/** Choices of the monitoring objects; every field has a documented default. */
export interface MonitoringOptions extends InstallOptions {
  /**
   * Labels added to the ServiceMonitor and the PrometheusRule, for a
   * Prometheus whose `serviceMonitorSelector` / `ruleSelector` asks for them
   * (kube-prometheus-stack: `release: <its release name>`); default none.
   */
  readonly monitorLabels?: Readonly<Record<string, string>>;
  /** How often Prometheus scrapes `/metrics`; default `30s`. */
  readonly scrapeInterval?: string;
  /**
   * Label and value the Grafana dashboard sidecar picks ConfigMaps up by;
   * default `grafana_dashboard: "1"` (the Grafana chart's default).
   */
  readonly dashboardLabel?: { readonly name: string; readonly value: string };
}

/**
 * The `job` label of Vigil's series: the Prometheus Operator names a
 * ServiceMonitor's job after the Service it scrapes. A Prometheus configured
 * by hand must scrape the `vigil-metrics` Service under this job name.
 */
export const METRICS_JOB: string = METRICS_SERVICE;

/** The default sidecar label of the dashboard ConfigMap. */
export const DEFAULT_DASHBOARD_LABEL = { name: "grafana_dashboard", value: "1" } as const;
