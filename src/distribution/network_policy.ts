/**
 * The operator pods' NetworkPolicy: what `vigil run` listens on and
 * connects to, nothing more.
 *
 * Decisions:
 * - Ingress to the webhook, metrics and health ports from any source: the
 *   API server calls the webhooks from an address no policy can select (a
 *   host or a managed control plane), Prometheus runs wherever the platform
 *   put it, and the kubelet's probes come from the node. To narrow ingress
 *   (say, metrics only from the monitoring namespace), turn the policy off
 *   and ship your own.
 * - Egress to the API server only on its ports (443 for the
 *   `kubernetes.default` Service, 6443 for the usual endpoint behind it:
 *   policies see the translated address), to any address unless
 *   `apiServerPeers` names the control plane; and DNS (53, UDP and TCP) to
 *   the cluster DNS pods in `kube-system`. Vigil connects to nothing else:
 *   its database work (backups, credential rotation) runs in Jobs.
 * - Widen it with `extraIngress` / `extraEgress` rules (e.g. an HTTP proxy).
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
} from "./install_options.ts";

/** The labels of the cluster DNS pods (CoreDNS keeps kube-dns's). */
export const DNS_POD_LABELS: Readonly<Record<string, string>> = { "k8s-app": "kube-dns" };

/** The operator pods' NetworkPolicy. */
export function buildNetworkPolicy(options: ResolvedInstallOptions): KubeObject {
  const tcp = (port: number) => ({ port, protocol: "TCP" });
  const policy = options.networkPolicy;
  const apiServer: Record<string, unknown> = {
    ports: policy.apiServerPorts.map(tcp),
  };
  if (policy.apiServerPeers.length > 0) apiServer.to = structuredClone(policy.apiServerPeers);
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: APP_NAME, namespace: NAMESPACE, labels: installLabels(options, "operator") },
    spec: {
      podSelector: { matchLabels: { ...POD_SELECTOR } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        { ports: [options.webhookPort, options.metricsPort, options.healthPort].map(tcp) },
        ...structuredClone(policy.extraIngress),
      ],
      egress: [
        apiServer,
        {
          to: [{
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
            podSelector: { matchLabels: { ...DNS_POD_LABELS } },
          }],
          ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }],
        },
        ...structuredClone(policy.extraEgress),
      ],
    },
  };
}
