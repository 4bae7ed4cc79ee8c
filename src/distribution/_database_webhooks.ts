/**
 * A copy of what `databaseWebhookConfigurations()` and `DATABASE_WEBHOOK_PATHS`
 * (src/database/database_admission.ts) return, for the generator only.
 *
 * Why a copy: `database_admission.ts` imports values from the webhook
 * barrel (`src/webhook/mod.ts`), which loads client-node and undici, which
 * read the whole environment when loaded; `deno task deploy` runs with
 * `--allow-read --allow-write=deploy` only. `tests/unit/distribution/
 * manifests_test.ts` proves this copy equals the original, so it cannot
 * drift; once `database_admission.ts` imports its helpers from the webhook
 * modules directly, this file can go.
 *
 * @module
 */
import type { WebhookConfigurationSpec } from "../webhook/webhook_configuration.ts";

/** Mirror of `DATABASE_WEBHOOK_PATHS`. */
export const DATABASE_WEBHOOK_PATHS = {
  mutate: "/mutate-vigil-dev-v1-database",
  validate: "/validate-vigil-dev-v1-database",
  convert: "/convert",
} as const;

/** Mirror of `databaseWebhookConfigurations()` with its defaults. */
export function databaseWebhookConfigurations(): {
  mutating: WebhookConfigurationSpec;
  validating: WebhookConfigurationSpec;
} {
  const common = {
    rules: [{
      operations: ["CREATE", "UPDATE"] as ("CREATE" | "UPDATE")[],
      apiGroups: ["vigil.dev"],
      apiVersions: ["v1"],
      resources: ["databases"],
      scope: "Namespaced" as const,
    }],
    timeoutSeconds: 10,
  };
  const labels = { "app.kubernetes.io/name": "vigil", "app.kubernetes.io/managed-by": "vigil" };
  return {
    mutating: {
      name: "vigil",
      labels,
      webhooks: [{ name: "mdatabase.vigil.dev", path: DATABASE_WEBHOOK_PATHS.mutate, ...common }],
    },
    validating: {
      name: "vigil",
      labels,
      webhooks: [{ name: "vdatabase.vigil.dev", path: DATABASE_WEBHOOK_PATHS.validate, ...common }],
    },
  };
}
