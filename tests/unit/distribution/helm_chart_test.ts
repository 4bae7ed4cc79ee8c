/**
 * The chart without Helm (no `helm` binary here, none may be downloaded):
 * its templates, with the few template constructs they use substituted by a
 * tiny renderer below, parse as YAML and equal the builders' objects. This
 * checks the generator, not Helm's own rendering.
 */
import assert from "node:assert/strict";
import YAML from "yaml";
import { VERSION } from "../../../src/version.ts";
import {
  buildManifest,
  type InstallOptions,
  type KubeObject,
  renderHelmChart,
} from "../../../src/distribution/mod.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const chart = renderHelmChart();
const defaults = YAML.parse(chart.get("values.yaml")!);

function lookup(values: Json, path: string): Json {
  return path.split(".").reduce((v, key) => v?.[key], values);
}

/** Renders the constructs the templates use: `if`/`end`, `quote`, `toJson`, `.Release.*`. */
function render(template: string, values: Json): string {
  const text = template
    .replace(
      /\s*\{\{- if \.Values\.([\w.]+) \}\}([\s\S]*?)\s*\{\{- end \}\}/g,
      (_, path: string, body: string) => lookup(values, path) ? body : "",
    )
    .replace(/\{\{ \.Values\.([\w.]+) \| quote \}\}/g, (_, p) => JSON.stringify(lookup(values, p)))
    .replace(/\{\{ toJson \.Values\.([\w.]+) \}\}/g, (_, p) => JSON.stringify(lookup(values, p)))
    .replace(/\{\{ \.Values\.([\w.]+) \}\}/g, (_, p) => String(lookup(values, p)))
    .replaceAll("{{ .Release.Namespace }}", "vigil-system")
    .replaceAll("{{ .Release.Service }}", "Helm");
  assert.ok(!text.includes("{{"), `unrendered expression left:\n${text}`);
  return text;
}

function renderChart(values: Json): KubeObject[] {
  return [...chart]
    .filter(([path]) => path.startsWith("templates/"))
    .flatMap(([, template]) =>
      YAML.parseAllDocuments(render(template, values)).map((d) => d.toJS())
    )
    .filter((o) => o !== null);
}

function sorted(objects: KubeObject[]): KubeObject[] {
  const key = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;
  return [...objects].sort((a, b) => key(a).localeCompare(key(b)));
}

function expected(options: InstallOptions = {}): KubeObject[] {
  return buildManifest({ managedBy: "Helm", ...options }).filter((o) => o.kind !== "Namespace");
}

Deno.test("the chart with values.yaml's defaults renders deploy/vigil.yaml's objects (but the Namespace, managed-by Helm)", () => {
  assert.deepEqual(sorted(renderChart(defaults)), sorted(expected()));
});

Deno.test("Chart.yaml and values.yaml carry the version and the documented values", () => {
  const meta = YAML.parse(chart.get("Chart.yaml")!);
  assert.equal(meta.apiVersion, "v2");
  assert.equal(meta.version, VERSION);
  assert.equal(meta.appVersion, VERSION);
  assert.deepEqual(Object.keys(defaults).sort(), [
    "certManager",
    "image",
    "imageRegistry",
    "leaderElection",
    "replicas",
    "resources",
  ]);
  assert.equal(defaults.image.tag, VERSION);
});

Deno.test("chart values reach the objects: image, replicas, resources, registry, leader election", () => {
  const resources = {
    requests: { cpu: "1", memory: "1Gi" },
    limits: { cpu: "2", memory: "2Gi" },
  };
  const values = {
    ...defaults,
    image: { repository: "registry.internal/vigil", tag: "9.9.9", pullPolicy: "Always" },
    replicas: 3,
    resources,
    imageRegistry: "registry.internal",
    leaderElection: { enabled: false },
  };
  assert.deepEqual(
    sorted(renderChart(values)),
    sorted(expected({
      image: "registry.internal/vigil:9.9.9",
      imagePullPolicy: "Always",
      replicas: 3,
      resources,
      imageRegistry: "registry.internal",
      leaderElect: false,
    })),
  );
});

Deno.test("certManager.enabled=false drops the Issuer, the Certificate and every inject-ca-from annotation", () => {
  const objects = renderChart({ ...defaults, certManager: { enabled: false } });
  const kinds = objects.map((o) => o.kind);
  assert.ok(!kinds.includes("Issuer") && !kinds.includes("Certificate"));
  assert.ok(kinds.includes("Deployment"));
  for (const o of objects) {
    const annotations = (o.metadata.annotations ?? {}) as Record<string, string>;
    assert.ok(!("cert-manager.io/inject-ca-from" in annotations), `${o.kind}/${o.metadata.name}`);
  }
});
