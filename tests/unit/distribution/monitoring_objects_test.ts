import assert from "node:assert/strict";
import YAML from "yaml";
import { buildManifest } from "../../../src/distribution/mod.ts";
import {
  ALERT_NAMES,
  alertRuleGroups,
  DASHBOARD_FILE,
  monitoredMetricNames,
  MONITORING_DIR,
  monitoringObjects,
  promqlMetricNames,
  renderMonitoringFiles,
} from "../../../src/distribution/monitoring/mod.ts";

const root = new URL("../../../", import.meta.url);
// deno-lint-ignore no-explicit-any
type Json = any;

Deno.test("deploy/monitoring holds exactly what the generator writes", async () => {
  const files = renderMonitoringFiles();
  for (const [path, text] of files) {
    const onDisk = await Deno.readTextFile(new URL(path, root)).catch(() => undefined);
    assert.ok(
      onDisk === text,
      `${path} is missing or out of date with src/distribution/monitoring: run \`deno task deploy\``,
    );
  }
  const present: string[] = [];
  for await (const entry of Deno.readDir(new URL(`${MONITORING_DIR}/`, root))) {
    present.push(`${MONITORING_DIR}/${entry.name}`);
  }
  assert.deepEqual(present.sort(), [...files.keys()].sort(), "stale files in deploy/monitoring");
});

Deno.test("the PrometheusRule holds the same groups as the plain rule file promtool checks", () => {
  const files = renderMonitoringFiles();
  const plain = YAML.parse(files.get(`${MONITORING_DIR}/vigil.rules.yaml`)!) as Json;
  const objects = YAML.parseAllDocuments(files.get(`${MONITORING_DIR}/vigil-monitoring.yaml`)!)
    .map((d) => d.toJS()) as Json[];
  const rule = objects.find((o) => o.kind === "PrometheusRule");
  assert.deepEqual(rule.spec.groups, plain.groups);
  assert.deepEqual(objects.map((o) => o.kind), ["ServiceMonitor", "PrometheusRule", "ConfigMap"]);
});

Deno.test("the ServiceMonitor selects the metrics Service and names its port", () => {
  const { serviceMonitor } = monitoringObjects() as Json;
  const services = buildManifest().filter((o) => o.kind === "Service") as Json[];
  const selected = services.filter((s) =>
    Object.entries(serviceMonitor.spec.selector.matchLabels).every(([k, v]) =>
      s.metadata.labels?.[k] === v
    )
  );
  assert.deepEqual(selected.map((s) => s.metadata.name), ["vigil-metrics"]);
  assert.equal(serviceMonitor.metadata.namespace, selected[0].metadata.namespace);
  const port = serviceMonitor.spec.endpoints[0].port;
  assert.ok(selected[0].spec.ports.some((p: Json) => p.name === port), `no port named ${port}`);
  assert.equal(serviceMonitor.spec.endpoints[0].honorLabels, true);
});

Deno.test("options: selector labels, scrape interval, lease name, no leader alert without election", () => {
  const labelled = monitoringObjects({
    monitorLabels: { release: "kube-prometheus-stack" },
    scrapeInterval: "15s",
    leaderElectionId: "my-lease",
    dashboardLabel: { name: "dashboards", value: "vigil" },
  }) as Json;
  assert.equal(labelled.serviceMonitor.metadata.labels.release, "kube-prometheus-stack");
  assert.equal(labelled.prometheusRule.metadata.labels.release, "kube-prometheus-stack");
  assert.equal(labelled.serviceMonitor.spec.endpoints[0].interval, "15s");
  assert.equal(labelled.dashboardConfigMap.metadata.labels.dashboards, "vigil");
  const noLeader = labelled.prometheusRule.spec.groups[0].rules
    .find((r: Json) => r.alert === ALERT_NAMES.noLeader);
  assert.match(noLeader.expr, /name="my-lease"/);
  const alone = alertRuleGroups({ leaderElect: false })[0]!.rules.map((r) => r.alert);
  assert.ok(!alone.includes(ALERT_NAMES.noLeader));
  assert.equal(alone.length, Object.keys(ALERT_NAMES).length - 1);
});

Deno.test("the dashboard ConfigMap carries the sidecar label and the dashboard JSON", () => {
  const { dashboardConfigMap, dashboard } = monitoringObjects() as Json;
  assert.equal(dashboardConfigMap.metadata.labels.grafana_dashboard, "1");
  assert.deepEqual(JSON.parse(dashboardConfigMap.data[DASHBOARD_FILE]), dashboard);
  const ids = dashboard.panels.map((p: Json) => p.id);
  assert.equal(new Set(ids).size, ids.length);
  // Panels stay within Grafana's 24 columns and never overlap.
  const cells = new Set<string>();
  for (const { gridPos: g, title } of dashboard.panels) {
    assert.ok(g.x + g.w <= 24, `${title} is wider than the grid`);
    for (let x = g.x; x < g.x + g.w; x++) {
      for (let y = g.y; y < g.y + g.h; y++) {
        assert.ok(!cells.has(`${x},${y}`), `${title} overlaps another panel`);
        cells.add(`${x},${y}`);
      }
    }
  }
});

Deno.test("promqlMetricNames finds selected metrics, not functions, labels or keywords", () => {
  const cases: Array<[string, string[]]> = [
    ["up", ["up"]],
    ['rate(a_total{job="x", le=~"a}b"}[5m]) / on (job) group_left(le) b', ["a_total", "b"]],
    ["sum(rate(x[$__rate_interval])) by (controller) > bool 0", ["x"]],
    ["histogram_quantile(0.99, sum by (webhook, le) (rate(h_bucket[5m]))) > 0.5", ["h_bucket"]],
    ['(max(m{name="by"}) or vector(0)) < 1 unless absent(n offset 5m)', ["m", "n"]],
    ["time() - max without (pod) (a or b) > max by (namespace, name) (c) + 3600", ["a", "b", "c"]],
    ["count(x == 0) or vector(0)", ["x"]],
  ];
  for (const [expr, names] of cases) assert.deepEqual(promqlMetricNames(expr), names, expr);
});

Deno.test("rules and panels name only Vigil's job and the metrics the cluster test checks", () => {
  const names = monitoredMetricNames();
  assert.ok(names.includes("controller_runtime_webhook_latency_seconds_bucket"));
  assert.ok(names.includes("vigil_database_backup_cronjob_created_timestamp_seconds"));
  for (const group of alertRuleGroups()) {
    for (const rule of group.rules) {
      for (const name of promqlMetricNames(rule.expr)) {
        const selectors = rule.expr.match(new RegExp(`${name}\\{[^}]*\\}`, "g")) ?? [];
        assert.ok(selectors.length > 0, `${rule.alert}: ${name} has no selector`);
        for (const s of selectors) assert.match(s, /job="vigil-metrics"/, `${rule.alert}: ${s}`);
      }
    }
  }
});
