/**
 * The chart's `values.schema.json`: Helm checks every install, upgrade,
 * template and lint against it, so a bad value stops the command with an
 * error naming the value's path, before anything reaches the cluster.
 *
 * Decisions:
 * - Every key is known (`additionalProperties: false`): a misspelt value
 *   would otherwise be ignored silently. `global` is allowed, as Helm passes
 *   it to every chart.
 * - `image.tag` must be a string: `--set image.tag=2` makes a number of it,
 *   and so does `tag: 1.10` in a values file (the number 1.1); quote it or
 *   use `--set-string`.
 * - At least one replica: the webhooks fail closed, so without a pod every
 *   write of a Database is refused.
 * - Ports 1–65535; the certificate directory an absolute path; the log level
 *   one `vigil run --log-level` accepts.
 *
 * @module
 */
import { LOG_LEVELS } from "./install_options.ts";

/**
 * A pattern rather than `enum`: Helm's error for a pattern names the value
 * given (`'verbose' does not match pattern '^(debug|info|warn|error)$'`),
 * its error for an enum does not.
 */
const oneOf = (values: readonly string[]) => `^(${values.join("|")})$`;
const port = { type: "integer", minimum: 1, maximum: 65535 };
const quantity = { type: ["string", "number"] };
const amounts = {
  type: "object",
  properties: { cpu: quantity, memory: quantity, "ephemeral-storage": quantity },
  additionalProperties: quantity,
};
const enabled = (description: string) => ({
  type: "object",
  additionalProperties: false,
  required: ["enabled"],
  properties: { enabled: { type: "boolean", description } },
});
const rules = (description: string) => ({ type: "array", items: { type: "object" }, description });

/** The JSON Schema of the chart's values. */
export function buildValuesSchema(): Record<string, unknown> {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "Values of the vigil chart",
    type: "object",
    additionalProperties: false,
    required: [
      "image",
      "replicas",
      "resources",
      "imageRegistry",
      "leaderElection",
      "logLevel",
      "ports",
      "webhookCertDir",
      "certManager",
      "networkPolicy",
      "monitoring",
    ],
    properties: {
      global: { type: "object" },
      image: {
        type: "object",
        additionalProperties: false,
        required: ["repository", "tag", "pullPolicy"],
        properties: {
          repository: { type: "string", minLength: 1 },
          tag: {
            type: "string",
            minLength: 1,
            description: "a string: quote it, or use --set-string image.tag=…",
          },
          pullPolicy: { type: "string", pattern: oneOf(["Always", "IfNotPresent", "Never"]) },
        },
      },
      replicas: { type: "integer", minimum: 1 },
      resources: {
        type: "object",
        additionalProperties: false,
        properties: { requests: amounts, limits: amounts },
      },
      imageRegistry: { type: "string" },
      leaderElection: enabled("--leader-elect; turn off only with one replica"),
      logLevel: { type: "string", pattern: oneOf(LOG_LEVELS) },
      ports: {
        type: "object",
        additionalProperties: false,
        required: ["webhook", "metrics", "health"],
        properties: { webhook: port, metrics: port, health: port },
      },
      webhookCertDir: { type: "string", pattern: "^/" },
      certManager: enabled("issue the webhook certificate with cert-manager"),
      networkPolicy: {
        type: "object",
        additionalProperties: false,
        required: ["enabled", "apiServerPeers", "apiServerPorts", "extraIngress", "extraEgress"],
        properties: {
          enabled: { type: "boolean" },
          apiServerPeers: rules("NetworkPolicy peers where the API server is; empty: anywhere"),
          apiServerPorts: { type: "array", items: port, minItems: 1 },
          extraIngress: rules("NetworkPolicy ingress rules added to the operator's"),
          extraEgress: rules("NetworkPolicy egress rules added to the operator's"),
        },
      },
      monitoring: {
        type: "object",
        additionalProperties: false,
        required: ["enabled", "labels"],
        properties: {
          enabled: { type: "boolean", description: "ServiceMonitor, PrometheusRule, dashboard" },
          labels: { type: "object", additionalProperties: { type: "string" } },
        },
      },
    },
  };
}
