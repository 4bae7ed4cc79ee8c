/**
 * The Grafana dashboard for Vigil, and the ConfigMap the Grafana sidecar
 * loads it from.
 *
 * The dashboard picks its Prometheus with a `datasource` variable and
 * filters the per-Database panels with a `namespace` variable. Series every
 * replica exports alike (Databases by phase, per-Database gauges) are taken
 * with `max`, not `sum`, so two replicas do not count a Database twice.
 *
 * @module
 */
import {
  installLabels,
  type KubeObject,
  NAMESPACE,
  resolveInstallOptions,
} from "../install_options.ts";
import {
  DEFAULT_DASHBOARD_LABEL,
  METRICS_JOB,
  type MonitoringOptions,
} from "./monitoring_options.ts";

/** The dashboard's `uid`: links to it stay valid across versions. */
export const DASHBOARD_UID = "vigil-operator";
/** The dashboard ConfigMap's name and the file name inside it. */
export const DASHBOARD_CONFIG_MAP = "vigil-grafana-dashboard";
export const DASHBOARD_FILE = "vigil.json";

/** One query of a panel. */
export interface PanelTarget {
  readonly expr: string;
  readonly legendFormat?: string;
  readonly instant?: boolean;
}

/** One panel, as the builder describes it before layout. */
interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly type: "stat" | "timeseries" | "table";
  readonly unit: string;
  readonly width: number;
  readonly height: number;
  readonly targets: readonly PanelTarget[];
}

const J = `job="${METRICS_JOB}"`;
const NS = 'namespace=~"$namespace"';
const RATE = "$__rate_interval";
const DATASOURCE = { type: "prometheus", uid: "${datasource}" } as const;
/** The series the `namespace` variable lists the label values of. */
const NAMESPACE_QUERY = `vigil_database_status_condition{${J}}`;

function panelSpecs(): PanelSpec[] {
  const stat = (title: string, description: string, expr: string): PanelSpec => ({
    title,
    description,
    type: "stat",
    unit: "none",
    width: 6,
    height: 4,
    targets: [{ expr }],
  });
  const series = (
    title: string,
    description: string,
    unit: string,
    targets: PanelTarget[],
  ): PanelSpec => ({ title, description, type: "timeseries", unit, width: 12, height: 8, targets });
  const quantile = (q: number, metric: string, by: string) =>
    `histogram_quantile(${q}, sum by (${by}le) (rate(${metric}{${J}}[${RATE}])))`;
  return [
    stat(
      "Leader",
      "1 while a replica holds the leader Lease; 0: no Database is reconciled.",
      `max(leader_election_master_status{${J}}) or vector(0)`,
    ),
    stat(
      "Databases",
      "Databases in Vigil's cache, all phases.",
      `sum(max by (phase) (vigil_databases{${J}}))`,
    ),
    stat(
      "Databases not Ready",
      "Databases whose Ready condition is not True.",
      `count(max by (namespace, name) (vigil_database_status_condition{${J}, ${NS}, ` +
        `condition="Ready"}) == 0) or vector(0)`,
    ),
    stat(
      "Databases Degraded",
      "Databases whose Degraded condition is True.",
      `count(min by (namespace, name) (vigil_database_status_condition{${J}, ${NS}, ` +
        `condition="Degraded"}) == 1) or vector(0)`,
    ),
    series("Databases by phase", "From Vigil's cache.", "none", [
      { expr: `max by (phase) (vigil_databases{${J}})`, legendFormat: "{{phase}}" },
    ]),
    series("Reconciles", "Reconciles per second by result.", "ops", [{
      expr: `sum by (result) (rate(controller_runtime_reconcile_total{${J}}[${RATE}]))`,
      legendFormat: "{{result}}",
    }]),
    series("Reconcile errors", "Reconciles ending in an error, terminal error or panic.", "ops", [
      {
        expr:
          `sum by (controller) (rate(controller_runtime_reconcile_errors_total{${J}}[${RATE}]))`,
        legendFormat: "{{controller}} errors",
      },
      {
        expr: `sum by (controller) ` +
          `(rate(controller_runtime_terminal_reconcile_errors_total{${J}}[${RATE}]))`,
        legendFormat: "{{controller}} terminal",
      },
      {
        expr:
          `sum by (controller) (rate(controller_runtime_reconcile_panics_total{${J}}[${RATE}]))`,
        legendFormat: "{{controller}} panics",
      },
    ]),
    series("Reconcile time", "Time per reconcile.", "s", [
      {
        expr: quantile(0.5, "controller_runtime_reconcile_time_seconds_bucket", ""),
        legendFormat: "p50",
      },
      {
        expr: quantile(0.99, "controller_runtime_reconcile_time_seconds_bucket", ""),
        legendFormat: "p99",
      },
    ]),
    series("Workqueue depth", "Keys waiting for a worker, on the leader.", "none", [
      { expr: `max by (name) (workqueue_depth{${J}})`, legendFormat: "{{name}}" },
    ]),
    series(
      "Workqueue wait and retries",
      "How long a key waits for a worker (p99), and retries per second.",
      "s",
      [
        {
          expr: quantile(0.99, "workqueue_queue_duration_seconds_bucket", "name, "),
          legendFormat: "{{name}} wait p99",
        },
        {
          expr: `sum by (name) (rate(workqueue_retries_total{${J}}[${RATE}]))`,
          legendFormat: "{{name}} retries/s",
        },
      ],
    ),
    series(
      "Webhook requests",
      "Admission and conversion requests per second by HTTP code.",
      "reqps",
      [{
        expr:
          `sum by (webhook, code) (rate(controller_runtime_webhook_requests_total{${J}}[${RATE}]))`,
        legendFormat: "{{webhook}} {{code}}",
      }],
    ),
    series("Webhook latency", "Time to answer a webhook request (p99).", "s", [{
      expr: quantile(0.99, "controller_runtime_webhook_latency_seconds_bucket", "webhook, "),
      legendFormat: "{{webhook}}",
    }]),
    series("API server requests", "Vigil's requests to the API server per second.", "reqps", [{
      expr: `sum by (method, code) (rate(rest_client_requests_total{${J}}[${RATE}]))`,
      legendFormat: "{{method}} {{code}}",
    }]),
    series("Leader by pod", "Which replica leads.", "none", [
      { expr: `max by (pod) (leader_election_master_status{${J}})`, legendFormat: "{{pod}}" },
    ]),
    {
      title: "Database conditions",
      description: "1: the condition is True.",
      type: "table",
      unit: "none",
      width: 12,
      height: 10,
      targets: [{
        expr: `max by (namespace, name, condition) (vigil_database_status_condition{${J}, ${NS}})`,
        instant: true,
      }],
    },
    {
      title: "Time since last backup",
      description: "Against the longest gap the Database's backup schedule leaves.",
      type: "table",
      unit: "s",
      width: 12,
      height: 10,
      targets: [
        {
          expr: `time() - max by (namespace, name) ` +
            `(vigil_database_backup_last_success_timestamp_seconds{${J}, ${NS}})`,
          legendFormat: "since last backup",
          instant: true,
        },
        {
          expr: `max by (namespace, name) ` +
            `(vigil_database_backup_schedule_interval_seconds{${J}, ${NS}})`,
          legendFormat: "schedule interval",
          instant: true,
        },
      ],
    },
  ];
}

/** Every PromQL expression of the dashboard's panels (and its variable query). */
export function dashboardExpressions(): string[] {
  return [
    NAMESPACE_QUERY,
    ...panelSpecs().flatMap((p) => p.targets.map((t) => t.expr)),
  ];
}

/** The dashboard JSON model (Grafana 10+, schema version 39). */
export function buildDashboard(): Record<string, unknown> {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const panels = panelSpecs().map((spec, index) => {
    if (x + spec.width > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { h: spec.height, w: spec.width, x, y };
    x += spec.width;
    rowHeight = Math.max(rowHeight, spec.height);
    return {
      id: index + 1,
      type: spec.type,
      title: spec.title,
      description: spec.description,
      datasource: DATASOURCE,
      gridPos,
      fieldConfig: { defaults: { unit: spec.unit }, overrides: [] },
      options: {},
      targets: spec.targets.map((t, i) => ({
        refId: String.fromCharCode(65 + i),
        datasource: DATASOURCE,
        expr: t.expr,
        ...(t.legendFormat === undefined ? {} : { legendFormat: t.legendFormat }),
        ...(t.instant === true ? { instant: true, range: false, format: "table" } : {}),
      })),
    };
  });
  return {
    uid: DASHBOARD_UID,
    title: "Vigil",
    description:
      "Vigil, the Database operator: reconciles, workqueue, webhooks, leader, Databases.",
    tags: ["vigil", "kubernetes", "operator"],
    editable: true,
    schemaVersion: 39,
    version: 1,
    time: { from: "now-6h", to: "now" },
    refresh: "30s",
    templating: {
      list: [
        {
          name: "datasource",
          label: "Data source",
          type: "datasource",
          query: "prometheus",
        },
        {
          name: "namespace",
          label: "Database namespace",
          type: "query",
          datasource: DATASOURCE,
          definition: `label_values(${NAMESPACE_QUERY}, namespace)`,
          query: { query: `label_values(${NAMESPACE_QUERY}, namespace)`, refId: "namespaces" },
          refresh: 2,
          includeAll: true,
          multi: true,
          allValue: ".*",
        },
      ],
    },
    panels,
  };
}

/** The dashboard JSON text as written to `deploy/monitoring/`. */
export function renderDashboardJson(): string {
  return JSON.stringify(buildDashboard(), null, 2) + "\n";
}

/** The ConfigMap the Grafana sidecar loads the dashboard from. */
export function buildDashboardConfigMap(options: MonitoringOptions = {}): KubeObject {
  const o = resolveInstallOptions(options);
  const label = options.dashboardLabel ?? DEFAULT_DASHBOARD_LABEL;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: DASHBOARD_CONFIG_MAP,
      namespace: NAMESPACE,
      labels: { ...installLabels(o, "metrics"), [label.name]: label.value },
    },
    data: { [DASHBOARD_FILE]: renderDashboardJson() },
  };
}
