/**
 * Kubernetes connectivity: kubeconfig loading, credentials, the HTTP client,
 * typed errors.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./kubeconfig.ts";
export {
  type Cluster,
  type Context,
  type ExecConfig,
  KubeConfig,
  type User,
} from "./kube_config.ts";
export type { KubeConfigInit } from "./kube_config.ts";
export { type Credentials, CredentialSource } from "./credential_source.ts";
export type { CredentialSourceOptions } from "./credential_source.ts";
export { KubeClient } from "./kube_client.ts";
export type {
  HttpClientOptions,
  KubeClientOptions,
  Query,
  RequestOptions,
  RequestRecord,
} from "./kube_client.ts";
