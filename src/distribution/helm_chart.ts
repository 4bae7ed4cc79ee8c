/**
 * The Helm chart `deploy/helm/vigil/`, generated from the same builders as
 * `deploy/vigil.yaml`: each template is the YAML of the builders' objects
 * with `{{ … }}` expressions put where a value applies.
 *
 * How: the objects are built, the fields a value drives are replaced by
 * marker tokens, the YAML is rendered, and each marker is replaced by its
 * Go-template expression. Lines carrying the cainjector annotation, and the
 * whole cert-manager template, are wrapped in `if .Values.certManager.enabled`.
 *
 * The chart differs from `deploy/vigil.yaml` only where Helm's conventions
 * ask: no Namespace object (`helm install --create-namespace`), the
 * namespace is the release's, and `app.kubernetes.io/managed-by` is `Helm`.
 * Cluster-scoped names (ClusterRoles, webhook configurations) stay `vigil`:
 * one installation per cluster.
 *
 * @module
 */
import YAML from "yaml";
import { VERSION } from "../version.ts";
import {
  DEFAULT_RESOURCES,
  IMAGE_REPOSITORY,
  type KubeObject,
  NAMESPACE,
  resolveInstallOptions,
} from "./install_options.ts";
import { buildManifestParts } from "./manifest.ts";
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
} as const;

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

/** Puts markers into the Deployment where values apply. */
function markDeployment(deployment: KubeObject): void {
  const spec = deployment.spec as Json;
  spec.replicas = "__HELM_REPLICAS__";
  const container = spec.template.spec.containers[0] as Json;
  container.image = "__HELM_IMAGE__";
  container.imagePullPolicy = "__HELM_PULL_POLICY__";
  container.resources = "__HELM_RESOURCES__";
  container.args = (container.args as string[]).map((a) =>
    a.startsWith("--leader-elect=") ? "__HELM_LEADER_ELECT__" : a
  );
  for (const env of container.env as Json[]) {
    if (env.name === "VIGIL_IMAGE_REGISTRY") env.value = "__HELM_IMAGE_REGISTRY__";
  }
}

function toTemplate(objects: readonly unknown[], certManager: boolean): string {
  let text = objects
    .map((o) => "---\n" + YAML.stringify(o, { lineWidth: 0, aliasDuplicateObjects: false }))
    .join("");
  for (const [marker, expression] of Object.entries(EXPRESSIONS)) {
    text = text.replaceAll(marker, expression);
  }
  text = text.split("\n").map((line) =>
    line.trimStart().startsWith(`${INJECT_CA_ANNOTATION}:`)
      ? `${CERT_MANAGER_IF}\n${line}\n${END}`
      : line
  ).join("\n");
  return HEADER + (certManager ? `${CERT_MANAGER_IF}\n${text}${END}\n` : text);
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
  const defaults = resolveInstallOptions();
  const y = (value: unknown) => JSON.stringify(value);
  return HEADER + `image:
  # Air-gapped: point this at your mirror of the operator image.
  repository: ${IMAGE_REPOSITORY}
  tag: ${y(VERSION)}
  pullPolicy: ${defaults.imagePullPolicy}
# Operator pods; one leads, the others serve webhooks and stand by.
replicas: ${defaults.replicas}
resources: ${y(DEFAULT_RESOURCES)}
# Registry prefix for the database images Vigil runs (--image-registry), e.g.
# registry.internal.example.com for an air-gapped mirror. Empty: their own registries.
imageRegistry: ${y(defaults.imageRegistry)}
leaderElection:
  # --leader-elect; turn off only with one replica.
  enabled: ${defaults.leaderElect}
certManager:
  # Issue the webhook certificate with cert-manager and inject its CA. When off, create
  # the Secret vigil-webhook-tls (tls.crt, tls.key) and set every caBundle yourself.
  enabled: true
`;
}

/** Every file of the chart, by path relative to {@linkcode CHART_DIR}, sorted. */
export function renderHelmChart(): Map<string, string> {
  const parts = buildManifestParts({ managedBy: "__HELM_MANAGED_BY__" });
  const templates = new Map<string, { objects: unknown[]; certManager: boolean }>();
  for (const part of parts) {
    if (part.template === undefined) continue;
    if (part.object.kind === "Deployment") markDeployment(part.object);
    const entry = templates.get(part.template) ??
      { objects: [], certManager: part.certManager ?? false };
    entry.objects.push(replaceStrings(part.object, NAMESPACE, "__HELM_NAMESPACE__"));
    templates.set(part.template, entry);
  }
  const files = new Map<string, string>([
    ["Chart.yaml", renderChartYaml()],
    ["values.yaml", renderValuesYaml()],
  ]);
  for (const [name, { objects, certManager }] of templates) {
    files.set(`templates/${name}`, toTemplate(objects, certManager));
  }
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}
