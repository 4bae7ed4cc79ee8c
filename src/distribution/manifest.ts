/**
 * Everything `deploy/vigil.yaml` holds, in apply order, and its YAML text.
 *
 * Order: the Namespace, the CRD, the ServiceAccount and RBAC, the
 * cert-manager Issuer and Certificate (so the Secret exists early), the
 * Services, the NetworkPolicy, the Deployment and its PodDisruptionBudget,
 * and last the webhook configurations — registered only once everything
 * they call is applied.
 *
 * @module
 */
import YAML from "yaml";
import { buildDeployment, buildPodDisruptionBudget } from "./deployment.ts";
import {
  installLabels,
  type InstallOptions,
  type KubeObject,
  NAMESPACE,
  type ResolvedInstallOptions,
  resolveInstallOptions,
} from "./install_options.ts";
import { buildNetworkPolicy } from "./network_policy.ts";
import { buildRbac } from "./rbac.ts";
import {
  buildCertManagerObjects,
  buildInClusterCrd,
  buildServices,
  buildWebhookConfigurations,
} from "./webhook_objects.ts";

/** The `vigil-system` Namespace, labelled for the `restricted` Pod Security Standard. */
export function buildNamespace(options: ResolvedInstallOptions): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: NAMESPACE,
      labels: {
        ...installLabels(options),
        "pod-security.kubernetes.io/enforce": "restricted",
      },
    },
  };
}

/** One installed object and where it goes in the Helm chart. */
export interface ManifestPart {
  /** Template file name in the chart, e.g. `deployment.yaml`; `undefined`: not in the chart. */
  readonly template: string | undefined;
  /**
   * The chart value (a boolean's path under `.Values`) that installs the
   * object, e.g. `certManager.enabled`; `undefined`: always installed.
   */
  readonly enabledBy?: string;
  readonly object: KubeObject;
}

/**
 * Every object of an installation, in apply order, with its chart template.
 *
 * The Namespace is not in the chart: `helm install --create-namespace` makes it.
 */
export function buildManifestParts(options: InstallOptions = {}): ManifestPart[] {
  const o = resolveInstallOptions(options);
  const rbac = buildRbac(o);
  return [
    { template: undefined, object: buildNamespace(o) },
    { template: "crd.yaml", object: buildInClusterCrd(o) },
    ...rbac.map((object) => ({ template: "rbac.yaml", object })),
    ...buildCertManagerObjects(o).map((object) => ({
      template: "certificate.yaml",
      enabledBy: "certManager.enabled",
      object,
    })),
    ...buildServices(o).map((object) => ({ template: "services.yaml", object })),
    ...(o.networkPolicy.enabled
      ? [{
        template: "networkpolicy.yaml",
        enabledBy: "networkPolicy.enabled",
        object: buildNetworkPolicy(o),
      }]
      : []),
    { template: "deployment.yaml", object: buildDeployment(o) },
    { template: "deployment.yaml", object: buildPodDisruptionBudget(o) },
    ...buildWebhookConfigurations(o).map((object) => ({ template: "webhooks.yaml", object })),
  ];
}

/** Every object of an installation, in apply order. */
export function buildManifest(options: InstallOptions = {}): KubeObject[] {
  return buildManifestParts(options).map((p) => p.object);
}

/** Header of `deploy/vigil.yaml`. */
export const MANIFEST_HEADER =
  "# Vigil: everything to install it in a cluster (needs cert-manager), in apply order.\n" +
  "# Generated from src/distribution by tools/gen_deploy.ts; do not edit.\n" +
  "# Regenerate with: deno task deploy\n";

/** Renders objects as one multi-document YAML text. */
export function renderYamlDocuments(objects: readonly unknown[]): string {
  return objects
    .map((o) => "---\n" + YAML.stringify(o, { lineWidth: 0, aliasDuplicateObjects: false }))
    .join("");
}

/** `deploy/vigil.yaml` exactly as the generator writes it. */
export function renderManifestYaml(options: InstallOptions = {}): string {
  return MANIFEST_HEADER + renderYamlDocuments(buildManifest(options));
}
