/**
 * Where the Database webhooks are served and how the apiserver is told to
 * call them. Kept apart from the handlers, with a type-only import of the
 * webhook package, so that manifest generators can use it without loading
 * the TLS server and the Kubernetes client.
 *
 * @module
 */
import type { WebhookConfigurationSpec } from "../webhook/webhook_configuration.ts";

/** The URL paths the handlers are served at (controller-runtime's naming). */
export const DATABASE_WEBHOOK_PATHS = {
  mutate: "/mutate-vigil-dev-v1-database",
  validate: "/validate-vigil-dev-v1-database",
  convert: "/convert",
} as const;

/** Options of {@link databaseWebhookConfigurations}. */
export interface DatabaseWebhookConfigurationOptions {
  /** Object names of the two configurations; default `vigil`. */
  readonly name?: string;
  /** Restrict the webhooks to namespaces matching these labels; default all namespaces. */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
  /** API server timeout per call; default 10 s. */
  readonly timeoutSeconds?: number;
}

/** The mutating and validating webhook configurations for Databases. */
export function databaseWebhookConfigurations(
  options: DatabaseWebhookConfigurationOptions = {},
): { mutating: WebhookConfigurationSpec; validating: WebhookConfigurationSpec } {
  const rules = [{
    operations: ["CREATE", "UPDATE"] as ("CREATE" | "UPDATE")[],
    apiGroups: ["vigil.dev"],
    apiVersions: ["v1"],
    resources: ["databases"],
    scope: "Namespaced" as const,
  }];
  const common = {
    rules,
    timeoutSeconds: options.timeoutSeconds ?? 10,
    ...(options.namespaceLabels &&
      { namespaceSelector: { matchLabels: { ...options.namespaceLabels } } }),
  };
  const name = options.name ?? "vigil";
  const labels = { "app.kubernetes.io/name": "vigil", "app.kubernetes.io/managed-by": "vigil" };
  return {
    mutating: {
      name,
      labels,
      webhooks: [{ name: "mdatabase.vigil.dev", path: DATABASE_WEBHOOK_PATHS.mutate, ...common }],
    },
    validating: {
      name,
      labels,
      webhooks: [{ name: "vdatabase.vigil.dev", path: DATABASE_WEBHOOK_PATHS.validate, ...common }],
    },
  };
}
