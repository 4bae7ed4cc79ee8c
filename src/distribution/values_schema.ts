/**
 * The chart's `values.schema.json`: Helm checks every install, upgrade,
 * template and lint against it, so a bad value stops the command with an
 * error naming the value's path, before anything reaches the cluster.
 *
 * Decisions:
 * - Every key is known (`additionalProperties: false`): a misspelt value
 *   would otherwise be ignored silently. `global` is allowed, as Helm passes
 *   it to every chart.
 * - `image.tag` must be a string: `--set image.tag=1.10` makes a number of
 *   it (and `1.1` of `1.10`); quote it or use `--set-string`.
 * - At least one replica: the webhooks fail closed, so without a pod every
 *   write of a Database is refused.
 * - Ports 1–65535; the certificate directory an absolute path; the log level
 *   one `vigil run --log-level` accepts.
 *
 * @module
 */
import { LOG_LEVELS } from "./install_options.ts";

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
          pullPolicy: { enum: ["Always", "IfNotPresent", "Never"] },
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
      logLevel: { enum: [...LOG_LEVELS] },
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
    },
  };
}
