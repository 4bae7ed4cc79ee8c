/**
 * The Helm chart `deploy/helm/vigil/`, generated from the same builders as
 * `deploy/vigil.yaml`: each template is the YAML of the builders' objects
 * with `{{ … }}` expressions put where a value applies, and
 * `values.schema.json` comes from `values_schema.ts`.
 *
 * How: the objects are built, the fields a value drives are replaced by
 * marker tokens, the YAML is rendered, and each marker is replaced by its
 * Go-template expression; a few markers stand for a whole line (a list of
 * extra rules, an optional field). Lines carrying the cainjector annotation
 * are wrapped in `if .Values.certManager.enabled`, and a template whose
 * objects are optional in `if` of the value that installs them.
 *
 * The chart differs from `deploy/vigil.yaml` only where Helm's conventions
 * ask: no Namespace object (`helm install --create-namespace`), the
 * namespace is the release's, and `app.kubernetes.io/managed-by` is `Helm`.
 * Cluster-scoped names (ClusterRoles, webhook configurations) stay `vigil`:
 * one installation per cluster. The CRD is a template with
 * `helm.sh/resource-policy: keep`, not a file in `crds/`: Helm upgrades it
 * with the chart, and keeps it on uninstall (with every Database).
 *
 * @module
 */
import YAML from "yaml";
import { VERSION } from "../version.ts";
import {
  DEFAULT_RESOURCES,
  IMAGE_REPOSITORY,
  type KubeObject,
  LOG_LEVELS,
  METRICS_SERVICE,
  NAMESPACE,
  type ResolvedInstallOptions,
  resolveInstallOptions,
} from "./install_options.ts";
import { buildValuesSchema } from "./values_schema.ts";
import { buildManifestParts, type ManifestPart } from "./manifest.ts";
import { monitoringObjects } from "./monitoring/mod.ts";
import { INJECT_CA_ANNOTATION } from "./webhook_objects.ts";

/** Where the chart lives, relative to the repository root. */
export const CHART_DIR = "deploy/helm/vigil";

const HEADER = "# Generated from src/distribution by tools/gen_deploy.ts; do not edit.\n" +
  "# Regenerate with: deno task deploy\n";

const CERT_MANAGER_IF = "{{- if .Values.certManager.enabled }}";
const END = "{{- end }}";

/** Markers and the expression each becomes. */
const EXPRESSIONS = {
  __HELM_NAMESPACE__: "{{ .Release.Namespace }}",
  __HELM_MANAGED_BY__: "{{ .Release.Service }}",
  __HELM_IMAGE__: '"{{ .Values.image.repository }}:{{ .Values.image.tag }}"',
  __HELM_PULL_POLICY__: "{{ .Values.image.pullPolicy }}",
  __HELM_REPLICAS__: "{{ .Values.replicas }}",
  __HELM_RESOURCES__: "{{ toJson .Values.resources }}",
  __HELM_LEADER_ELECT__: '"--leader-elect={{ .Values.leaderElection.enabled }}"',
  __HELM_IMAGE_REGISTRY__: "{{ .Values.imageRegistry | quote }}",
  __HELM_LOG_LEVEL__: '"--log-level={{ .Values.logLevel }}"',
  __HELM_METRICS_ADDRESS__: '"--metrics-bind-address=:{{ .Values.ports.metrics }}"',
  __HELM_HEALTH_ADDRESS__: '"--health-probe-bind-address=:{{ .Values.ports.health }}"',
  __HELM_WEBHOOK_PORT_FLAG__: '"--webhook-port={{ .Values.ports.webhook }}"',
  __HELM_CERT_DIR_FLAG__: '{{ printf "--webhook-cert-dir=%s" .Values.webhookCertDir | quote }}',
  __HELM_CERT_DIR__: "{{ .Values.webhookCertDir | quote }}",
  __HELM_WEBHOOK_PORT__: "{{ .Values.ports.webhook }}",
  __HELM_METRICS_PORT__: "{{ .Values.ports.metrics }}",
  __HELM_HEALTH_PORT__: "{{ .Values.ports.health }}",
  __HELM_API_SERVER_PORTS__: "[{{ range $i, $p := .Values.networkPolicy.apiServerPorts }}" +
    '{{ if $i }}, {{ end }}{"port": {{ $p }}, "protocol": "TCP"}{{ end }}]',
} as const;

/**
 * Markers that stand for a whole line: `<key>: <marker>` becomes `<key>:
 * <the value as JSON>` when the value is not empty and nothing otherwise;
 * `- <marker>` in a list becomes the value's items (a list), if any.
 */
const BLOCKS: Readonly<Record<string, string>> = {
  __HELM_API_SERVER_PEERS__: ".Values.networkPolicy.apiServerPeers",
  __HELM_EXTRA_INGRESS__: ".Values.networkPolicy.extraIngress",
  __HELM_EXTRA_EGRESS__: ".Values.networkPolicy.extraEgress",
  __HELM_MONITORING_LABELS__: ".Values.monitoring.labels",
};

/**
 * Markers that stand for a whole line: `<key>: <marker>` becomes `<key>:
 * <the value as JSON>` when the value is not empty and nothing otherwise;
 * `- <marker>` in a list becomes the value's items (a list), and
 * `<marker>: ""` in a map the value's entries (a map), if any.
 */
function expandBlocks(line: string): string {
  const match = /^(\s*)(?:- (__HELM_\w+__)|(__HELM_\w+__): ""|([\w-]+): (__HELM_\w+__))$/
    .exec(line);
  if (match === null) return line;
  const [, indent, item, entries, key, value] = match;
  const path = BLOCKS[item ?? entries ?? value!];
  if (path === undefined) return line;
  const body = key === undefined
    ? `${indent}{{- toYaml . | nindent ${indent!.length} }}`
    : `${indent}${key}: {{ toJson . }}`;
  return `${indent}{{- with ${path} }}\n${body}\n${indent}{{- end }}`;
}

/** Makes every `{{` and `}}` in the strings below `value` literal text for Go templates. */
function escapeTemplates(value: unknown): unknown {
  if (typeof value === "string") return value.replace(/\{\{|\}\}/g, (m) => `{{\`${m}\`}}`);
  if (Array.isArray(value)) return value.map(escapeTemplates);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeTemplates(v)]));
  }
  return value;
}

/**
 * The chart-only parts: the Prometheus Operator objects and the dashboard
 * ConfigMap (in `deploy/monitoring/` for `kubectl`), behind
 * `monitoring.enabled`; `monitoring.labels` go on the ServiceMonitor and
 * the PrometheusRule (e.g. `release: kube-prometheus-stack`).
 */
function monitoringParts(options: ResolvedInstallOptions): ManifestPart[] {
  const { serviceMonitor, prometheusRule, dashboardConfigMap } = monitoringObjects(options);
  return [serviceMonitor, prometheusRule, dashboardConfigMap].map((object) => {
    const escaped = escapeTemplates(object) as KubeObject;
    if (object !== dashboardConfigMap) {
      (escaped.metadata.labels as Record<string, string>).__HELM_MONITORING_LABELS__ = "";
    }
    return { template: "monitoring.yaml", enabledBy: "monitoring.enabled", object: escaped };
  });
}

/** Replaces `from` by `to` inside every string below `value`. */
function replaceStrings(value: unknown, from: string, to: string): unknown {
  if (typeof value === "string") return value.replaceAll(from, to);
  if (Array.isArray(value)) return value.map((v) => replaceStrings(v, from, to));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, replaceStrings(v, from, to)]),
    );
  }
  return value;
}

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

const ARG_MARKERS: Readonly<Record<string, string>> = {
  "--leader-elect=": "__HELM_LEADER_ELECT__",
  "--log-level=": "__HELM_LOG_LEVEL__",
  "--metrics-bind-address=": "__HELM_METRICS_ADDRESS__",
  "--health-probe-bind-address=": "__HELM_HEALTH_ADDRESS__",
  "--webhook-port=": "__HELM_WEBHOOK_PORT_FLAG__",
  "--webhook-cert-dir=": "__HELM_CERT_DIR_FLAG__",
};

const PORT_MARKERS: Readonly<Record<string, string>> = {
  webhook: "__HELM_WEBHOOK_PORT__",
  metrics: "__HELM_METRICS_PORT__",
  health: "__HELM_HEALTH_PORT__",
};

/** Puts markers into the objects where values apply. */
function mark(object: KubeObject, options: ResolvedInstallOptions): void {
  const spec = object.spec as Json;
  if (object.kind === "Deployment") {
    spec.replicas = "__HELM_REPLICAS__";
    const container = spec.template.spec.containers[0] as Json;
    container.image = "__HELM_IMAGE__";
    container.imagePullPolicy = "__HELM_PULL_POLICY__";
    container.resources = "__HELM_RESOURCES__";
    container.args = (container.args as string[]).map((arg) => {
      const prefix = Object.keys(ARG_MARKERS).find((p) => arg.startsWith(p));
      return prefix === undefined ? arg : ARG_MARKERS[prefix];
    });
    for (const env of container.env as Json[]) {
      if (env.name === "VIGIL_IMAGE_REGISTRY") env.value = "__HELM_IMAGE_REGISTRY__";
    }
    for (const port of container.ports as Json[]) port.containerPort = PORT_MARKERS[port.name];
    for (const mount of container.volumeMounts as Json[]) {
      if (mount.mountPath === options.webhookCertDir) mount.mountPath = "__HELM_CERT_DIR__";
    }
  } else if (object.kind === "Service" && object.metadata.name === METRICS_SERVICE) {
    spec.ports[0].port = "__HELM_METRICS_PORT__";
  } else if (object.kind === "NetworkPolicy") {
    const byNumber: Record<number, string> = {
      [options.webhookPort]: "__HELM_WEBHOOK_PORT__",
      [options.metricsPort]: "__HELM_METRICS_PORT__",
      [options.healthPort]: "__HELM_HEALTH_PORT__",
    };
    for (const port of spec.ingress[0].ports as Json[]) port.port = byNumber[port.port];
    spec.ingress.push("__HELM_EXTRA_INGRESS__");
    spec.egress[0] = { ports: "__HELM_API_SERVER_PORTS__", to: "__HELM_API_SERVER_PEERS__" };
    spec.egress.push("__HELM_EXTRA_EGRESS__");
  }
}

/**
 * What the schema cannot say, checked where the Deployment renders: the three
 * ports differ (`vigil run` would exit 2 naming the flag, in a crash loop).
 */
const DEPLOYMENT_CHECKS = `{{- $p := .Values.ports }}
{{- if or (eq (int $p.webhook) (int $p.metrics)) (eq (int $p.webhook) (int $p.health)) (eq (int $p.metrics) (int $p.health)) }}
{{- fail (printf "invalid values ports.webhook=%v, ports.metrics=%v, ports.health=%v (accepted: three different ports)" $p.webhook $p.metrics $p.health) }}
{{- end }}
`;

function toTemplate(objects: readonly unknown[], enabledBy: string | undefined): string {
  let text = objects
    .map((o) => "---\n" + YAML.stringify(o, { lineWidth: 0, aliasDuplicateObjects: false }))
    .join("");
  text = text.split("\n").map(expandBlocks).join("\n");
  for (const [marker, expression] of Object.entries(EXPRESSIONS)) {
    text = text.replaceAll(marker, expression);
  }
  text = text.split("\n").map((line) =>
    line.trimStart().startsWith(`${INJECT_CA_ANNOTATION}:`)
      ? `${CERT_MANAGER_IF}\n${line}\n${END}`
      : line
  ).join("\n");
  assertNoMarkerLeft(text);
  if (objects.some((o) => (o as KubeObject).kind === "Deployment")) text = DEPLOYMENT_CHECKS + text;
  return HEADER +
    (enabledBy === undefined ? text : `{{- if .Values.${enabledBy} }}\n${text}${END}\n`);
}

function assertNoMarkerLeft(text: string): void {
  const left = /__HELM_\w+__/.exec(text);
  if (left !== null) throw new Error(`Chart generator left the marker ${left[0]} unreplaced`);
}

/** `Chart.yaml`. */
export function renderChartYaml(): string {
  return HEADER + YAML.stringify({
    apiVersion: "v2",
    name: "vigil",
    description: "Vigil, a Kubernetes operator for Database resources (databases.vigil.dev)",
    type: "application",
    version: VERSION,
    appVersion: VERSION,
    kubeVersion: ">=1.29.0-0",
  });
}

/** `values.yaml`: the defaults, which render the chart into `deploy/vigil.yaml`'s objects. */
export function renderValuesYaml(): string {
  const d = resolveInstallOptions();
  const y = (value: unknown) => JSON.stringify(value);
  const np = d.networkPolicy;
  return HEADER + `# Checked against values.schema.json: an unknown key or a bad value stops helm.
image:
  # Air-gapped: point this at your mirror of the operator image.
  repository: ${IMAGE_REPOSITORY}
  # A string: quote it ("1.10", not 1.10), or use --set-string image.tag=...
  tag: ${y(VERSION)}
  pullPolicy: ${d.imagePullPolicy}
# Operator pods; one leads, the others serve webhooks and stand by. At least 1.
replicas: ${d.replicas}
resources: ${y(DEFAULT_RESOURCES)}
# Registry prefix for the database images Vigil runs (--image-registry), e.g.
# registry.internal.example.com for an air-gapped mirror. Empty: their own registries.
imageRegistry: ${y(d.imageRegistry)}
leaderElection:
  # --leader-elect; turn off only with one replica.
  enabled: ${d.leaderElect}
# --log-level: ${LOG_LEVELS.join(", ")}.
logLevel: ${d.logLevel}
# Container ports of the webhook server (the vigil-webhook Service's 443 goes there),
# of /metrics (also the vigil-metrics Service's port) and of /healthz and /readyz.
# The vigil binary may listen on any port.
ports:
  webhook: ${d.webhookPort}
  metrics: ${d.metricsPort}
  health: ${d.healthPort}
# Where the certificate Secret is mounted (--webhook-cert-dir). The stock image may read
# only this default: another directory needs an image built with VIGIL_ALLOW_READ=<dir>
# (deno task compile), or vigil run exits 2 naming --webhook-cert-dir.
webhookCertDir: ${y(d.webhookCertDir)}
certManager:
  # Issue the webhook certificate with cert-manager and inject its CA. When off, create
  # the Secret vigil-webhook-tls (tls.crt, tls.key) and set every caBundle yourself.
  enabled: true
networkPolicy:
  # Ingress only to the webhook, metrics and health ports; egress only to the API server
  # and the cluster DNS (kube-system pods labelled k8s-app=kube-dns).
  enabled: ${np.enabled}
  # Where the API server is, as NetworkPolicy peers, e.g. [{ipBlock: {cidr: 10.0.0.1/32}}].
  # Empty: any address, on apiServerPorts only.
  apiServerPeers: ${y(np.apiServerPeers)}
  # The kubernetes Service's port and the API server's own (policies see the latter).
  apiServerPorts: ${y(np.apiServerPorts)}
  # NetworkPolicy rules added to the operator's, e.g. egress to an HTTP proxy.
  extraIngress: ${y(np.extraIngress)}
  extraEgress: ${y(np.extraEgress)}
monitoring:
  # A ServiceMonitor, a PrometheusRule with Vigil's alerts and a Grafana dashboard ConfigMap
  # (label grafana_dashboard: "1"); needs the Prometheus Operator's CRDs.
  enabled: false
  # Labels for the ServiceMonitor and the PrometheusRule, for a Prometheus that selects them,
  # e.g. {release: kube-prometheus-stack}.
  labels: {}
`;
}

/** Every file of the chart, by path relative to {@linkcode CHART_DIR}, sorted. */
export function renderHelmChart(): Map<string, string> {
  const options = resolveInstallOptions({ managedBy: "__HELM_MANAGED_BY__" });
  const parts = [...buildManifestParts(options), ...monitoringParts(options)];
  const templates = new Map<string, { objects: unknown[]; enabledBy: string | undefined }>();
  for (const part of parts) {
    if (part.template === undefined) continue;
    mark(part.object, options);
    const entry = templates.get(part.template) ?? { objects: [], enabledBy: part.enabledBy };
    entry.objects.push(replaceStrings(part.object, NAMESPACE, "__HELM_NAMESPACE__"));
    templates.set(part.template, entry);
  }
  const files = new Map<string, string>([
    ["Chart.yaml", renderChartYaml()],
    ["values.yaml", renderValuesYaml()],
    ["values.schema.json", JSON.stringify(buildValuesSchema(), null, 2) + "\n"],
  ]);
  for (const [name, { objects, enabledBy }] of templates) {
    files.set(`templates/${name}`, toTemplate(objects, enabledBy));
  }
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}
