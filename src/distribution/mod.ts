/**
 * What a platform team installs: pure builders of Vigil's Namespace, RBAC,
 * Deployment, Services, NetworkPolicy, webhook configurations, cert-manager
 * objects and in-cluster CRD, rendered as `deploy/vigil.yaml` and as the
 * Helm chart `deploy/helm/vigil/` (with its values schema) by
 * `tools/gen_deploy.ts`.
 *
 * @module
 */
export * from "./install_options.ts";
export * from "./rbac.ts";
export * from "./deployment.ts";
export * from "./webhook_objects.ts";
export * from "./network_policy.ts";
export * from "./manifest.ts";
export * from "./helm_chart.ts";
export * from "./values_schema.ts";
