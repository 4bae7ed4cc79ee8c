/**
 * What a platform team chooses when installing Vigil, with the defaults
 * `deploy/vigil.yaml` is generated from, and the labels every installed
 * object carries.
 *
 * The object names are fixed on purpose: the CRD's conversion stanza
 * ({@linkcode CONVERSION_SERVICE}), `--webhook-service`'s default and the
 * certificate's DNS names all name `vigil-webhook` (the chart puts them in
 * the release's namespace). The ports, the certificate directory and the
 * log level default to `vigil run`'s flag defaults and may be changed; the
 * binary is granted every port (`tools/permissions.ts`), but a certificate
 * directory other than the default only in an image built with
 * `VIGIL_ALLOW_READ` naming it ({@linkcode binaryGrants}).
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

/** CPU, memory and ephemeral storage (Kubernetes quantities). */
export interface ResourceAmounts {
  readonly cpu: string;
  readonly memory: string;
  readonly "ephemeral-storage": string;
}

/** Container resources. */
export interface Resources {
  readonly requests: ResourceAmounts;
  readonly limits: ResourceAmounts;
}

/** The log levels `vigil run --log-level` accepts. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** One NetworkPolicy peer (`from` / `to` entry), as Kubernetes spells it. */
export type NetworkPolicyPeer = Record<string, unknown>;
/** One NetworkPolicy ingress or egress rule, as Kubernetes spells it. */
export type NetworkPolicyRule = Record<string, unknown>;

/** The operator pods' NetworkPolicy (see `network_policy.ts`). */
export interface NetworkPolicyOptions {
  /** Ship the policy; default `true`. */
  readonly enabled?: boolean;
  /**
   * Where the API server is: the peers of the egress rule to it. Default none,
   * which allows any address on {@linkcode apiServerPorts} (a policy cannot
   * select the API server by label); narrow it to the control plane's
   * addresses with `ipBlock` peers.
   */
  readonly apiServerPeers?: readonly NetworkPolicyPeer[];
  /** Ports of the API server, before and after the Service's translation; default 443, 6443. */
  readonly apiServerPorts?: readonly number[];
  /** Ingress rules added to the policy's (e.g. a proxy in front of the webhooks). */
  readonly extraIngress?: readonly NetworkPolicyRule[];
  /** Egress rules added to the policy's (e.g. an HTTP proxy to the API server). */
  readonly extraEgress?: readonly NetworkPolicyRule[];
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
  /** `--webhook-port` and the container's `webhook` port; default 9443. */
  readonly webhookPort?: number;
  /** Port of `--metrics-bind-address` and of the metrics Service; default 8080. */
  readonly metricsPort?: number;
  /** Port of `--health-probe-bind-address` (`/healthz`, `/readyz`); default 8081. */
  readonly healthPort?: number;
  /** `--webhook-cert-dir`, where the certificate Secret is mounted. */
  readonly webhookCertDir?: string;
  /** `--log-level`; default `info`. */
  readonly logLevel?: LogLevel;
  /** The operator pods' NetworkPolicy. */
  readonly networkPolicy?: NetworkPolicyOptions;
}

/** {@link InstallOptions} with every default filled in. */
export type ResolvedInstallOptions =
  & Required<Omit<InstallOptions, "imageRegistry" | "networkPolicy">>
  & {
    readonly imageRegistry: string;
    readonly networkPolicy: Required<NetworkPolicyOptions>;
  };

/**
 * The default resources: enough for the informer caches of a mid-size
 * cluster. Ephemeral storage holds only the container's logs (the root
 * filesystem is read-only; the kubelet rotates logs at 5 × 10 MiB by default).
 */
export const DEFAULT_RESOURCES: Resources = {
  requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "64Mi" },
  limits: { cpu: "500m", memory: "512Mi", "ephemeral-storage": "256Mi" },
};

/** The API server's ports an in-cluster client meets: the Service's and the usual endpoint's. */
export const DEFAULT_API_SERVER_PORTS: readonly number[] = [443, 6443];

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
    webhookPort: options.webhookPort ?? RUN_DEFAULTS.webhookPort,
    metricsPort: options.metricsPort ?? RUN_DEFAULTS.metricsPort,
    healthPort: options.healthPort ?? RUN_DEFAULTS.healthPort,
    webhookCertDir: options.webhookCertDir ?? RUN_DEFAULTS.webhookCertDir,
    logLevel: options.logLevel ?? (flagDefault("log-level") as LogLevel),
    networkPolicy: {
      enabled: options.networkPolicy?.enabled ?? true,
      apiServerPeers: options.networkPolicy?.apiServerPeers ?? [],
      apiServerPorts: options.networkPolicy?.apiServerPorts ?? DEFAULT_API_SERVER_PORTS,
      extraIngress: options.networkPolicy?.extraIngress ?? [],
      extraEgress: options.networkPolicy?.extraEgress ?? [],
    },
  };
}

/** The log levels `vigil run` accepts, read from `src/config.ts`. */
export const LOG_LEVELS: readonly LogLevel[] = (() => {
  const spec = RUN_FLAGS.find((s) => s.flag === "log-level");
  if (spec?.values === undefined) throw new Error("Cannot find the values of --log-level");
  return spec.values as LogLevel[];
})();

/**
 * What the `vigil` binary must be granted beyond its own permission flags
 * (`tools/permissions.ts`) for an installation's choices: the certificate
 * directory when it is not the default. Ports need nothing: the binary may
 * listen on any port. Build the image with `VIGIL_ALLOW_READ` set to the
 * `read` list ({@linkcode imageBuildEnv}); otherwise `vigil run` exits 2
 * at start naming `--webhook-cert-dir`.
 */
export function binaryGrants(options: ResolvedInstallOptions): {
  readonly net: readonly string[];
  readonly read: readonly string[];
} {
  const certDirGranted = options.webhookCertDir === RUN_DEFAULTS.webhookCertDir;
  return { net: [], read: certDirGranted ? [] : [options.webhookCertDir] };
}

/** The environment `deno task compile` needs for {@linkcode binaryGrants}; empty for defaults. */
export function imageBuildEnv(options: ResolvedInstallOptions): Record<string, string> {
  const { read } = binaryGrants(options);
  return read.length === 0 ? {} : { VIGIL_ALLOW_READ: read.join(",") };
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
