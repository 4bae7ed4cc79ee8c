/**
 * The chart's files as the generator writes them, without Helm: metadata,
 * the values and their schema agree, and no marker is left. How Helm renders
 * the templates, and what the schema refuses, is proven with the real Helm in
 * tests/cluster/deploy/helm_test.ts.
 */
import assert from "node:assert/strict";
import YAML from "yaml";
import { VERSION } from "../../../src/version.ts";
import { LOG_LEVELS, renderHelmChart } from "../../../src/distribution/mod.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const chart = renderHelmChart();
const defaults = YAML.parse(chart.get("values.yaml")!);
const schema = JSON.parse(chart.get("values.schema.json")!);

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
    "logLevel",
    "monitoring",
    "networkPolicy",
    "ports",
    "replicas",
    "resources",
    "webhookCertDir",
  ]);
  assert.equal(defaults.image.tag, VERSION);
});

Deno.test("values.schema.json knows every key of values.yaml, requires them, and no other", () => {
  const walk = (values: Json, node: Json, path: string) => {
    if (node.properties === undefined || typeof values !== "object" || Array.isArray(values)) {
      return;
    }
    for (const [key, value] of Object.entries(values)) {
      assert.ok(key in node.properties, `${path}${key} is not in the schema`);
      walk(value, node.properties[key], `${path}${key}.`);
    }
  };
  walk(defaults, schema, "");
  assert.deepEqual([...schema.required].sort(), Object.keys(defaults).sort());
  assert.equal(schema.additionalProperties, false);
  const levels = new RegExp(schema.properties.logLevel.pattern);
  assert.deepEqual(LOG_LEVELS.filter((l) => levels.test(l)), LOG_LEVELS);
  assert.ok(!levels.test("verbose") && !levels.test("infos"));
  assert.equal(schema.properties.image.properties.tag.type, "string");
  assert.equal(schema.properties.replicas.minimum, 1);
});

Deno.test("every template is generated whole: no marker is left", () => {
  for (const [path, text] of chart) {
    assert.ok(!/__HELM_\w+__/.test(text), `${path} keeps a generator marker`);
  }
});
