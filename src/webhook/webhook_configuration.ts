/**
 * Pure builders of the objects that register the webhooks with the API
 * server: `MutatingWebhookConfiguration`, `ValidatingWebhookConfiguration`
 * and a CRD's conversion webhook stanza.
 *
 * What to register (names, rules, paths, selectors) comes from the caller;
 * the safety settings are fixed: `failurePolicy: Fail`, `sideEffects: None`,
 * `matchPolicy: Equivalent`, `admissionReviewVersions: ["v1"]` and an
 * explicit `timeoutSeconds`.
 *
 * @module
 */
import type {
  V1MutatingWebhookConfiguration,
  V1ValidatingWebhookConfiguration,
} from "@kubernetes/client-node";
import { encodeBase64 } from "./admission_review.ts";

/** Default `timeoutSeconds` of every webhook; above the server's 8 s handler deadline. */
export const DEFAULT_WEBHOOK_TIMEOUT_SECONDS = 10;

/**
 * How the API server reaches the webhook server.
 *
 * `url`: `https://<host>:<port><path>`, for an operator running outside the
 * cluster (host default `127.0.0.1`). `service`: through a Service, in-cluster
 * (port default 443).
 */
export type WebhookEndpoint =
  | { mode: "url"; port: number; host?: string }
  | { mode: "service"; namespace: string; name: string; port?: number };

/** `admissionregistration.k8s.io/v1` RuleWithOperations. */
export interface WebhookRule {
  /** `CREATE`, `UPDATE`, `DELETE`, `CONNECT` or `*`. */
  operations: ("CREATE" | "UPDATE" | "DELETE" | "CONNECT" | "*")[];
  /** API groups, e.g. `["vigil.dev"]`. */
  apiGroups: string[];
  /** API versions, e.g. `["v1"]`. */
  apiVersions: string[];
  /** Resources, e.g. `["databases"]`. */
  resources: string[];
  /** `Cluster`, `Namespaced` or `*` (the API server's default). */
  scope?: "Cluster" | "Namespaced" | "*";
}

/** A label selector (`matchLabels` / `matchExpressions`). */
export interface LabelSelector {
  /** Labels that must all match. */
  matchLabels?: Record<string, string>;
  /** Expressions that must all match. */
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** One admission webhook of a configuration. */
export interface AdmissionWebhookSpec {
  /** Fully qualified webhook name, e.g. `vdatabase.vigil.dev`. */
  name: string;
  /** Server path, e.g. `/validate-vigil-dev-v1-database`. */
  path: string;
  /** What the webhook intercepts. */
  rules: WebhookRule[];
  /** Namespaces it applies to. Default: all. */
  namespaceSelector?: LabelSelector;
  /** Objects it applies to. Default: all. */
  objectSelector?: LabelSelector;
  /** CEL match conditions. Default: none. */
  matchConditions?: { name: string; expression: string }[];
  /** API server timeout, 1–30 seconds. Default 10. */
  timeoutSeconds?: number;
  /** Mutating webhooks only: `Never` (default) or `IfNeeded`. */
  reinvocationPolicy?: "Never" | "IfNeeded";
}

/** A webhook configuration object to create or update. */
export interface WebhookConfigurationSpec {
  /** Object name. */
  name: string;
  /** Object labels. */
  labels?: Record<string, string>;
  /** The webhooks, in order. */
  webhooks: AdmissionWebhookSpec[];
}

/** A `WebhookClientConfig` (admission and CRD conversion share its shape). */
export interface WebhookClientConfig {
  /** Base64 of the PEM CA bundle. */
  caBundle: string;
  /** Set in `url` mode. */
  url?: string;
  /** Set in `service` mode. */
  service?: { namespace: string; name: string; path: string; port: number };
}

/**
 * The client config for `path` at `endpoint`, trusting `caBundlePem`.
 *
 * @throws {TypeError} when `path` does not start with `/` or the port is invalid.
 */
export function webhookClientConfig(
  endpoint: WebhookEndpoint,
  path: string,
  caBundlePem: string,
): WebhookClientConfig {
  if (!path.startsWith("/")) throw new TypeError(`Cannot build client config: path "${path}"`);
  const caBundle = encodeBase64(new TextEncoder().encode(caBundlePem));
  const port = endpoint.port ?? 443;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`Cannot build client config: port ${port} is not in 1–65535`);
  }
  if (endpoint.mode === "url") {
    const host = endpoint.host ?? "127.0.0.1";
    const authority = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    return { caBundle, url: `https://${authority}${path}` };
  }
  return { caBundle, service: { namespace: endpoint.namespace, name: endpoint.name, path, port } };
}

function webhook(spec: AdmissionWebhookSpec, endpoint: WebhookEndpoint, caBundlePem: string) {
  const timeoutSeconds = spec.timeoutSeconds ?? DEFAULT_WEBHOOK_TIMEOUT_SECONDS;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 30) {
    throw new RangeError(
      `Cannot build webhook ${spec.name}: timeoutSeconds ${timeoutSeconds} is not in 1–30`,
    );
  }
  return {
    name: spec.name,
    clientConfig: webhookClientConfig(endpoint, spec.path, caBundlePem),
    rules: spec.rules.map((rule) => ({ ...rule })),
    failurePolicy: "Fail",
    sideEffects: "None",
    matchPolicy: "Equivalent",
    admissionReviewVersions: ["v1"],
    timeoutSeconds,
    ...(spec.namespaceSelector && { namespaceSelector: spec.namespaceSelector }),
    ...(spec.objectSelector && { objectSelector: spec.objectSelector }),
    ...(spec.matchConditions && { matchConditions: spec.matchConditions }),
  };
}

function metadata(spec: WebhookConfigurationSpec) {
  return { name: spec.name, ...(spec.labels && { labels: { ...spec.labels } }) };
}

/**
 * A `MutatingWebhookConfiguration` for `spec`.
 *
 * @throws {TypeError|RangeError} on an invalid path, port or timeout.
 */
export function buildMutatingWebhookConfiguration(
  spec: WebhookConfigurationSpec,
  endpoint: WebhookEndpoint,
  caBundlePem: string,
): V1MutatingWebhookConfiguration {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: metadata(spec),
    webhooks: spec.webhooks.map((w) => ({
      ...webhook(w, endpoint, caBundlePem),
      reinvocationPolicy: w.reinvocationPolicy ?? "Never",
    })),
  };
}

/**
 * A `ValidatingWebhookConfiguration` for `spec`.
 *
 * @throws {TypeError|RangeError} on an invalid path, port or timeout, or when
 * a webhook sets `reinvocationPolicy` (mutating only).
 */
export function buildValidatingWebhookConfiguration(
  spec: WebhookConfigurationSpec,
  endpoint: WebhookEndpoint,
  caBundlePem: string,
): V1ValidatingWebhookConfiguration {
  for (const w of spec.webhooks) {
    if (w.reinvocationPolicy !== undefined) {
      throw new TypeError(
        `Cannot build webhook ${w.name}: reinvocationPolicy is for mutating webhooks`,
      );
    }
  }
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: metadata(spec),
    webhooks: spec.webhooks.map((w) => webhook(w, endpoint, caBundlePem)),
  };
}

/** The `spec.conversion` of a CRD converted by the webhook at `path`. */
export function buildConversionStanza(
  endpoint: WebhookEndpoint,
  path: string,
  caBundlePem: string,
): {
  strategy: "Webhook";
  webhook: { clientConfig: WebhookClientConfig; conversionReviewVersions: ["v1"] };
} {
  return {
    strategy: "Webhook",
    webhook: {
      clientConfig: webhookClientConfig(endpoint, path, caBundlePem),
      conversionReviewVersions: ["v1"],
    },
  };
}

/**
 * Whether every field set in `desired` has the same value in `actual`.
 *
 * Fields only in `actual` (API server defaults, other managers) are ignored;
 * arrays must have the same length and match element by element.
 */
export function isSubset(desired: unknown, actual: unknown): boolean {
  if (Array.isArray(desired)) {
    return Array.isArray(actual) && actual.length === desired.length &&
      desired.every((item, i) => isSubset(item, actual[i]));
  }
  if (typeof desired === "object" && desired !== null) {
    if (typeof actual !== "object" || actual === null || Array.isArray(actual)) return false;
    const have = actual as Record<string, unknown>;
    return Object.entries(desired).every(([key, value]) =>
      value === undefined || isSubset(value, have[key])
    );
  }
  return desired === actual;
}
