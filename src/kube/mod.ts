/**
 * Kubernetes connectivity: kubeconfig loading, the HTTP client, typed errors.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./kubeconfig.ts";
export { KubeClient } from "./kube_client.ts";
export type { KubeClientOptions, Query, RequestOptions, RequestRecord } from "./kube_client.ts";
