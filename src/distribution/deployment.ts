/**
 * The operator's Deployment and PodDisruptionBudget.
 *
 * Decisions:
 * - Two replicas with leader election: webhooks, probes and metrics serve on
 *   both; reconcilers run on the leader. A topology spread over
 *   `kubernetes.io/hostname` with `maxSkew: 1` and `DoNotSchedule` puts the
 *   two on different nodes whenever there are two, yet still schedules on a
 *   one-node cluster and never blocks a rolling update's surge pod (2/1 is
 *   within the skew). `matchLabelKeys: [pod-template-hash]` spreads each
 *   ReplicaSet on its own.
 * - The pod meets the `restricted` Pod Security Standard: non-root 65532
 *   (distroless's `nonroot`), no privilege escalation, every capability
 *   dropped, `RuntimeDefault` seccomp, read-only root filesystem (the binary
 *   may write nothing anyway: see `tools/permissions.ts`).
 * - A rollout must not break admission (`failurePolicy: Fail`): a pod being
 *   deleted stays in the webhook Service's endpoints until the
 *   EndpointSlice change reaches kube-proxy and the apiserver. A native
 *   `preStop` sleep of {@linkcode PRE_STOP_SLEEP_SECONDS} s (no shell in the
 *   distroless image; Kubernetes 1.30+) holds SIGTERM back that long while
 *   everything still serves; then `vigil run` stops leader work at once and
 *   keeps its webhooks answering for `--shutdown-webhook-drain` (5 s), for
 *   requests on connections the apiserver already holds.
 * - `terminationGracePeriodSeconds` is the preStop sleep, plus the longer of
 *   the graceful-shutdown timeout and the webhook drain (they run side by
 *   side after SIGTERM), plus 15 s, so the drains and the Lease release
 *   finish before SIGKILL.
 * - `--image-registry` goes through its environment twin, whose empty value
 *   `vigil run` reads as unset: one manifest shape with or without a mirror.
 * - Resources include `ephemeral-storage` (a request and a limit), which
 *   holds only the container's logs: the root filesystem is read-only.
 *
 * @module
 */
import {
  APP_NAME,
  installLabels,
  type KubeObject,
  NAMESPACE,
  POD_SELECTOR,
  type ResolvedInstallOptions,
  RUN_DEFAULTS,
  WEBHOOK_TLS_SECRET,
} from "./install_options.ts";

/** Seconds the kubelet's `preStop` sleep holds SIGTERM back while endpoints drain. */
export const PRE_STOP_SLEEP_SECONDS = 5;

/** Seconds Kubernetes allows from the start of `preStop` to SIGKILL. */
export const TERMINATION_GRACE_SECONDS = PRE_STOP_SLEEP_SECONDS +
  Math.max(RUN_DEFAULTS.gracefulShutdownSeconds, RUN_DEFAULTS.webhookDrainSeconds) + 15;

/** The arguments after the image's `ENTRYPOINT ["/vigil", "run"]`. */
export function operatorArgs(options: ResolvedInstallOptions): string[] {
  return [
    `--leader-elect=${options.leaderElect}`,
    `--leader-election-id=${options.leaderElectionId}`,
    `--metrics-bind-address=:${options.metricsPort}`,
    `--health-probe-bind-address=:${options.healthPort}`,
    `--webhook-port=${options.webhookPort}`,
    `--webhook-cert-dir=${options.webhookCertDir}`,
    `--log-level=${options.logLevel}`,
    "--log-format=json",
  ];
}

function container(options: ResolvedInstallOptions) {
  const fieldRef = (fieldPath: string) => ({ valueFrom: { fieldRef: { fieldPath } } });
  return {
    name: "operator",
    image: options.image,
    imagePullPolicy: options.imagePullPolicy,
    args: operatorArgs(options),
    env: [
      { name: "POD_NAME", ...fieldRef("metadata.name") },
      { name: "POD_NAMESPACE", ...fieldRef("metadata.namespace") },
      { name: "VIGIL_IMAGE_REGISTRY", value: options.imageRegistry },
    ],
    ports: [
      { name: "metrics", containerPort: options.metricsPort, protocol: "TCP" },
      { name: "health", containerPort: options.healthPort, protocol: "TCP" },
      { name: "webhook", containerPort: options.webhookPort, protocol: "TCP" },
    ],
    lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } } },
    livenessProbe: {
      httpGet: { path: "/healthz", port: "health" },
      initialDelaySeconds: 5,
      periodSeconds: 10,
      failureThreshold: 3,
    },
    readinessProbe: {
      httpGet: { path: "/readyz", port: "health" },
      periodSeconds: 5,
      failureThreshold: 3,
    },
    resources: structuredClone(options.resources),
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumeMounts: [{
      name: "webhook-certs",
      mountPath: options.webhookCertDir,
      readOnly: true,
    }],
  };
}

/** The operator Deployment. */
export function buildDeployment(options: ResolvedInstallOptions): KubeObject {
  const podLabels = { ...installLabels(options), ...POD_SELECTOR };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: APP_NAME, namespace: NAMESPACE, labels: installLabels(options, "operator") },
    spec: {
      replicas: options.replicas,
      selector: { matchLabels: { ...POD_SELECTOR } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: podLabels },
        spec: {
          serviceAccountName: APP_NAME,
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            seccompProfile: { type: "RuntimeDefault" },
          },
          topologySpreadConstraints: [{
            maxSkew: 1,
            topologyKey: "kubernetes.io/hostname",
            whenUnsatisfiable: "DoNotSchedule",
            labelSelector: { matchLabels: { ...POD_SELECTOR } },
            matchLabelKeys: ["pod-template-hash"],
          }],
          containers: [container(options)],
          volumes: [{
            name: "webhook-certs",
            secret: { secretName: WEBHOOK_TLS_SECRET },
          }],
        },
      },
    },
  };
}

/** A PodDisruptionBudget keeping one operator pod through voluntary disruptions. */
export function buildPodDisruptionBudget(options: ResolvedInstallOptions): KubeObject {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: APP_NAME, namespace: NAMESPACE, labels: installLabels(options, "operator") },
    spec: { minAvailable: 1, selector: { matchLabels: { ...POD_SELECTOR } } },
  };
}
