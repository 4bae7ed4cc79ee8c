/**
 * What a platform team chooses when installing Vigil, with the defaults
 * `deploy/vigil.yaml` is generated from, and the labels every installed
 * object carries.
 *
 * The namespace, object names and ports are fixed on purpose: the CRD's
 * conversion stanza ({@linkcode CONVERSION_SERVICE}), `--webhook-service`'s
 * default and the certificate's DNS names all name `vigil-webhook` in
 * `vigil-system`, and the ports are `vigil run`'s flag defaults.
 *
 * @module
 */
import { CONVERSION_SERVICE } from "../database/crd.ts";
import { RUN_FLAGS } from "../config.ts";
import { VERSION } from "../version.ts";

/** Namespace Vigil is installed into. */
export const NAMESPACE: string = CONVERSION_SERVICE.namespace;
/** Name of the ServiceAccount, the Deployment and the RBAC objects. */
export const APP_NAME = "vigil";
/** Name of the webhook Service (and of the cert-manager Certificate). */
export const WEBHOOK_SERVICE: string = CONVERSION_SERVICE.name;
/** Name of the metrics Service. */
export const METRICS_SERVICE = "vigil-metrics";
/** Secret cert-manager writes the webhook serving certificate into. */
export const WEBHOOK_TLS_SECRET = "vigil-webhook-tls";
/** The `cert-manager.io/inject-ca-from` value: the Certificate whose CA cainjector copies. */
export const INJECT_CA_FROM = `${NAMESPACE}/${WEBHOOK_SERVICE}`;
/** Default image repository; the tag defaults to {@linkcode VERSION}. */
export const IMAGE_REPOSITORY = "ghcr.io/vigil-dev/vigil";

/** Container resources (Kubernetes quantities). */
export interface Resources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

/** Choices of an installation; every field has a documented default. */
export interface InstallOptions {
  /** Operator image; default `ghcr.io/vigil-dev/vigil:<VERSION>`. */
  readonly image?: string;
  /** Default `IfNotPresent`. */
  readonly imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  /** Operator replicas; default 2 (one leads, one stands by). */
  readonly replicas?: number;
  /** Default: requests 100m/128Mi, limits 500m/512Mi. */
  readonly resources?: Resources;
  /** `--image-registry` for database images (air-gapped mirrors); default none. */
  readonly imageRegistry?: string;
  /** `--leader-elect`; default `true`. */
  readonly leaderElect?: boolean;
  /** `--leader-election-id`, the Lease the Role grants; default `vigil-leader`. */
  readonly leaderElectionId?: string;
  /** `app.kubernetes.io/managed-by`; default `kubectl` (the chart sets `Helm`). */
  readonly managedBy?: string;
}

/** {@link InstallOptions} with every default filled in. */
export type ResolvedInstallOptions = Required<Omit<InstallOptions, "imageRegistry">> & {
  readonly imageRegistry: string;
};

/** The default resources: enough for the informer caches of a mid-size cluster. */
export const DEFAULT_RESOURCES: Resources = {
  requests: { cpu: "100m", memory: "128Mi" },
  limits: { cpu: "500m", memory: "512Mi" },
};

/** Fills in the defaults of {@link InstallOptions}. */
export function resolveInstallOptions(options: InstallOptions = {}): ResolvedInstallOptions {
  return {
    image: options.image ?? `${IMAGE_REPOSITORY}:${VERSION}`,
    imagePullPolicy: options.imagePullPolicy ?? "IfNotPresent",
    replicas: options.replicas ?? 2,
    resources: options.resources ?? DEFAULT_RESOURCES,
    imageRegistry: options.imageRegistry ?? "",
    leaderElect: options.leaderElect ?? true,
    leaderElectionId: options.leaderElectionId ?? flagDefault("leader-election-id"),
    managedBy: options.managedBy ?? "kubectl",
  };
}

/**
 * The labels on every installed object: `app.kubernetes.io/{name,part-of,managed-by}`
 * and, when given, `component`.
 */
export function installLabels(
  options: ResolvedInstallOptions,
  component?: string,
): Record<string, string> {
  return {
    "app.kubernetes.io/name": APP_NAME,
    "app.kubernetes.io/part-of": APP_NAME,
    "app.kubernetes.io/managed-by": options.managedBy,
    ...(component === undefined ? {} : { "app.kubernetes.io/component": component }),
  };
}

/** The operator pods' labels, which the Deployment, PDB and Services select on. */
export const POD_SELECTOR: Readonly<Record<string, string>> = {
  "app.kubernetes.io/name": APP_NAME,
  "app.kubernetes.io/component": "operator",
};

function flagDefault(flag: string): string {
  const spec = RUN_FLAGS.find((s) => s.flag === flag);
  if (spec?.default === undefined) throw new Error(`Cannot find the default of --${flag}`);
  return spec.default;
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(":") + 1));
}

/** `vigil run`'s default ports and certificate directory, read from `src/config.ts`. */
export const RUN_DEFAULTS: {
  readonly metricsPort: number;
  readonly healthPort: number;
  readonly webhookPort: number;
  readonly webhookCertDir: string;
  readonly gracefulShutdownSeconds: number;
  readonly webhookDrainSeconds: number;
} = {
  metricsPort: portOf(flagDefault("metrics-bind-address")),
  healthPort: portOf(flagDefault("health-probe-bind-address")),
  webhookPort: Number(flagDefault("webhook-port")),
  webhookCertDir: flagDefault("webhook-cert-dir"),
  gracefulShutdownSeconds: Number.parseInt(flagDefault("graceful-shutdown-timeout"), 10),
  webhookDrainSeconds: Number.parseInt(flagDefault("shutdown-webhook-drain"), 10),
};

/** A plain Kubernetes object as the builders return it. */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
};
