/**
 * What lets the API server reach Vigil's webhooks in a cluster: the webhook
 * and metrics Services, the webhook configurations and the CRD in Service
 * mode, and the cert-manager Issuer and Certificate whose CA cainjector
 * copies into them.
 *
 * Decisions:
 * - No `caBundle` at all, not an empty placeholder: cert-manager's cainjector
 *   fills `webhooks[].clientConfig.caBundle` and
 *   `spec.conversion.webhook.clientConfig.caBundle` of every object
 *   annotated `cert-manager.io/inject-ca-from: <namespace>/<Certificate>`,
 *   and the field is optional. A placeholder would be worse: re-applying the
 *   manifest would reset the injected CA to empty until cainjector noticed.
 * - A self-signed Issuer: the Certificate is only ever trusted through the
 *   injected `caBundle`, so no cluster CA is needed.
 *
 * @module
 */
import {
  buildConversionStanza,
  buildMutatingWebhookConfiguration,
  buildValidatingWebhookConfiguration,
  type WebhookEndpoint,
} from "../webhook/webhook_configuration.ts";
// Modules directly, not mod.ts: the generator must not load client-node (it reads env).
import { buildCrd } from "../database/crd.ts";
import {
  DATABASE_WEBHOOK_PATHS,
  databaseWebhookConfigurations,
} from "../database/webhook_configurations.ts";
import {
  INJECT_CA_FROM,
  installLabels,
  type KubeObject,
  METRICS_SERVICE,
  NAMESPACE,
  POD_SELECTOR,
  type ResolvedInstallOptions,
  WEBHOOK_SERVICE,
  WEBHOOK_TLS_SECRET,
} from "./install_options.ts";

/** The annotation cert-manager's cainjector acts on. */
export const INJECT_CA_ANNOTATION = "cert-manager.io/inject-ca-from";

const SERVICE_ENDPOINT: WebhookEndpoint = {
  mode: "service",
  namespace: NAMESPACE,
  name: WEBHOOK_SERVICE,
};

/** Removes every `clientConfig.caBundle` below `value`, in place. */
function dropCaBundles(value: unknown): void {
  if (Array.isArray(value)) return value.forEach(dropCaBundles);
  if (typeof value !== "object" || value === null) return;
  const record = value as Record<string, unknown>;
  const clientConfig = record.clientConfig as Record<string, unknown> | undefined;
  if (clientConfig !== undefined) delete clientConfig.caBundle;
  Object.values(record).forEach(dropCaBundles);
}

/** The `vigil-webhook` (443 → webhook port) and `vigil-metrics` Services. */
export function buildServices(options: ResolvedInstallOptions): KubeObject[] {
  const service = (name: string, component: string, port: number, targetPort: string) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: NAMESPACE, labels: installLabels(options, component) },
    spec: {
      type: "ClusterIP",
      selector: { ...POD_SELECTOR },
      ports: [{ name: targetPort, port, targetPort, protocol: "TCP" }],
    },
  });
  return [
    service(WEBHOOK_SERVICE, "webhook", 443, "webhook"),
    service(METRICS_SERVICE, "metrics", options.metricsPort, "metrics"),
  ];
}

/** The Database webhook configurations in Service mode, annotated for cainjector. */
export function buildWebhookConfigurations(options: ResolvedInstallOptions): KubeObject[] {
  const { mutating, validating } = databaseWebhookConfigurations();
  const labels = installLabels(options, "webhook");
  const objects = [
    buildMutatingWebhookConfiguration({ ...mutating, labels }, SERVICE_ENDPOINT, ""),
    buildValidatingWebhookConfiguration({ ...validating, labels }, SERVICE_ENDPOINT, ""),
  ] as unknown as KubeObject[];
  for (const object of objects) {
    dropCaBundles(object);
    object.metadata.annotations = { [INJECT_CA_ANNOTATION]: INJECT_CA_FROM };
  }
  return objects;
}

/**
 * The Database CRD for an in-cluster install: conversion through the
 * `vigil-webhook` Service, CA injected by cainjector, and kept by Helm on
 * uninstall (deleting the CRD would delete every Database).
 */
export function buildInClusterCrd(options: ResolvedInstallOptions): KubeObject {
  const crd = structuredClone(buildCrd()) as KubeObject & { spec: Record<string, unknown> };
  const conversion = buildConversionStanza(SERVICE_ENDPOINT, DATABASE_WEBHOOK_PATHS.convert, "");
  dropCaBundles(conversion);
  crd.spec.conversion = conversion;
  crd.metadata.labels = { ...(crd.metadata.labels as object), ...installLabels(options, "crd") };
  crd.metadata.annotations = {
    [INJECT_CA_ANNOTATION]: INJECT_CA_FROM,
    "helm.sh/resource-policy": "keep",
  };
  return crd;
}

/** The cert-manager self-signed Issuer and the webhook serving Certificate. */
export function buildCertManagerObjects(options: ResolvedInstallOptions): KubeObject[] {
  const labels = installLabels(options, "webhook");
  return [
    {
      apiVersion: "cert-manager.io/v1",
      kind: "Issuer",
      metadata: { name: "vigil-selfsigned", namespace: NAMESPACE, labels },
      spec: { selfSigned: {} },
    },
    {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: { name: WEBHOOK_SERVICE, namespace: NAMESPACE, labels },
      spec: {
        secretName: WEBHOOK_TLS_SECRET,
        dnsNames: [
          `${WEBHOOK_SERVICE}.${NAMESPACE}.svc`,
          `${WEBHOOK_SERVICE}.${NAMESPACE}.svc.cluster.local`,
        ],
        issuerRef: { kind: "Issuer", name: "vigil-selfsigned" },
        privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
      },
    },
  ];
}
