/**
 * Vigil's monitoring: a ServiceMonitor, a PrometheusRule with the alerts a
 * platform team needs, and a Grafana dashboard (JSON and sidecar
 * ConfigMap), rendered under `deploy/monitoring/` by `tools/gen_deploy.ts`.
 *
 * @module
 */
export * from "./monitoring_options.ts";
export * from "./alert_rules.ts";
export * from "./service_monitor.ts";
export * from "./dashboard.ts";
export * from "./promql_metric_names.ts";
export * from "./monitoring_objects.ts";
