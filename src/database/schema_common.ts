/**
 * Zod building blocks shared by every served version of the Database API:
 * field schemas with their OpenAPI descriptions and bounds, CEL rules, the
 * status (identical in all versions) and object metadata.
 *
 * @module
 */

import { z } from "zod";
import { isQuantity, QUANTITY_PATTERN } from "./quantity.ts";
import { CRON_ACCEPTED } from "./cron.ts";

/** API group of the Database resource. */
export const GROUP = "vigil.dev";
/** Annotation holding what a version cannot express, so conversion is lossless. */
export const CONVERSION_ANNOTATION = "vigil.dev/conversion-data";
/** Maximum number of `spec.config` entries. */
export const MAX_CONFIG_ENTRIES = 20;
/** Default `spec.storageSize`. */
export const DEFAULT_STORAGE_SIZE = "10Gi";
/** Requests the mutating webhook fills in when `spec.resources` is given without them. */
export const DEFAULT_REQUESTS = { cpu: "100m", memory: "256Mi" } as const;

/** A `x-kubernetes-validations` entry. */
export interface CelRule {
  /** CEL expression; true means valid. */
  rule: string;
  /** Shown to the user when the rule fails: names the field and what is accepted. */
  message: string;
  /** Field the failure is reported on, relative to where the rule sits. */
  fieldPath: string;
}

/** Storage quantities: positive, no sign, no sub-unit suffixes. */
export const STORAGE_PATTERN =
  "^(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[kMGTPE]|([eE]\\+?[0-9]+))?$";
/** DNS-1123 subdomain, the name syntax of StorageClasses and Secrets. */
export const DNS_SUBDOMAIN_PATTERN =
  "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/** `MAJOR.MINOR` or `MAJOR.MINOR.PATCH`. */
export const VERSION_PATTERN = "^[0-9]+\\.[0-9]+(\\.[0-9]+)?$";
/** Coarse shape of a schedule; the webhook checks every field. */
export const SCHEDULE_PATTERN =
  "^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every (([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+|\\S+( +\\S+){4})$";
/** Parameter names: lower-case identifiers as both engines spell them. */
export const CONFIG_KEY_PATTERN = "^[a-z][a-z0-9_]*$";

/** The engine field (shared by v1 and v1beta1). */
export const engineField = z.enum(["postgres", "mysql"]).default("postgres").describe(
  "Database engine: postgres or mysql. Defaults to postgres. Immutable.",
);

/** The version field: filled from the engine catalog by the mutating webhook when unset. */
export const versionField = z.string().max(16).regex(new RegExp(VERSION_PATTERN)).describe(
  "Engine version from Vigil's catalog (e.g. 17.5 for postgres, 8.4.5 for mysql). " +
    "Defaults to the catalog's latest stable release. Minor upgrades are allowed, " +
    "a major upgrade goes one major at a time, a major downgrade is refused.",
);

/** Replicas, also served through the scale subresource. */
export const replicasField = z.int().min(1).max(10).default(1).meta({ format: "int32" }).describe(
  "Number of database instances, 1 to 10. Defaults to 1. Also settable through the scale subresource.",
);

/** Storage size: a Kubernetes quantity that may grow but never shrink. */
export const storageSizeField = z.string().max(32).regex(new RegExp(STORAGE_PATTERN)).default(
  DEFAULT_STORAGE_SIZE,
).describe(
  "Size of each instance's volume as a Kubernetes quantity (e.g. 10Gi, 500Mi). " +
    "Defaults to 10Gi. May grow (when the StorageClass allows expansion), never shrink.",
);

/** StorageClass of the volumes; fixed at creation. */
export const storageClassNameField = z.string().max(253).regex(new RegExp(DNS_SUBDOMAIN_PATTERN))
  .describe(
    "StorageClass of the volumes. Unset means the cluster's default StorageClass. " +
      "Cannot be added, removed or changed after creation.",
  );

const resourceQuantity = z.union([
  z.int().min(0),
  // The pattern admits exponents no quantity parser takes (1e2000); refuse them here too.
  z.string().max(64).regex(new RegExp(QUANTITY_PATTERN)).refine(isQuantity, {
    message: "is not a readable quantity (exponent beyond ±1000)",
  }),
])
  .meta({ "x-kubernetes-int-or-string": true });

const resourceList = (what: string) =>
  z.object({
    cpu: resourceQuantity.optional().describe(`CPU ${what}, e.g. 500m or 2.`),
    memory: resourceQuantity.optional().describe(`Memory ${what}, e.g. 256Mi or 2Gi.`),
  }).describe(`Compute resource ${what}s of each database container.`);

/** Compute resources of the database containers. */
export const resourcesField = z.object({
  requests: resourceList("request").optional(),
  limits: resourceList("limit").optional(),
}).describe(
  "Compute resources of each database container. When given, a missing request " +
    "defaults to cpu 100m and memory 256Mi (or the limit, when lower). Limits must be at least the requests.",
);

/** Engine parameters written into the engine's configuration file. */
export const configField = z.record(
  z.string().max(64).regex(new RegExp(CONFIG_KEY_PATTERN)),
  z.string().max(256),
).refine((c) => Object.keys(c).length <= MAX_CONFIG_ENTRIES, {
  message: `at most ${MAX_CONFIG_ENTRIES} entries`,
}).meta({ maxProperties: MAX_CONFIG_ENTRIES }).describe(
  "Engine parameters (at most 20) rendered into postgresql.conf or my.cnf, e.g. " +
    'max_connections: "200". Keys must be parameters the engine knows; values are strings ' +
    "in the engine's own syntax (quote numbers and on/off).",
);

/** Backup schedule in cron syntax. */
export const backupScheduleField = z.string().max(128).regex(new RegExp(SCHEDULE_PATTERN)).describe(
  `Backup schedule: ${CRON_ACCEPTED}. Unset means no scheduled backups.`,
);

/** Image override. */
// Printable ASCII without spaces: `\S` let control characters (NUL, ESC) through to the kubelet.
export const imageField = z.string().max(512).regex(/^[!-~]+$/).describe(
  "Image to run instead of the catalog's image for this version (private registries, " +
    "air-gapped installs). Must be the same engine and version.",
);

/** What happens to the volumes when the Database is deleted. */
export const pvcDeletionPolicyField = z.enum(["Retain", "Delete"]).default("Retain").describe(
  "What happens to the data volumes when the Database is deleted: Retain (default) keeps them, " +
    "Delete removes them.",
);

const quantityRule = (path: string) =>
  `quantity(string(self.resources.limits.${path})).compareTo(quantity(string(self.resources.requests.${path}))) >= 0`;

/** CEL rules for a spec in the v1 / v1beta1 shape, placed on the spec object. */
export function specRules(): CelRule[] {
  const limitRule = (name: "cpu" | "memory"): CelRule => ({
    rule:
      `!has(self.resources) || !has(self.resources.limits) || !has(self.resources.requests) || ` +
      `!has(self.resources.limits.${name}) || !has(self.resources.requests.${name}) || ${
        quantityRule(name)
      }`,
    message: `spec.resources.limits.${name} must be at least spec.resources.requests.${name}`,
    fieldPath: `.resources.limits.${name}`,
  });
  return [
    {
      rule: "(has(self.engine) ? self.engine : 'postgres') == " +
        "(has(oldSelf.engine) ? oldSelf.engine : 'postgres')",
      message: "spec.engine is immutable: keep the engine the Database was created with",
      fieldPath: ".engine",
    },
    {
      rule: "has(self.storageClassName) == has(oldSelf.storageClassName) && " +
        "(!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName)",
      message: "spec.storageClassName is immutable: it cannot be added, removed or changed " +
        "after creation; keep the value the Database was created with",
      fieldPath: ".storageClassName",
    },
    storageRule("storageSize"),
    limitRule("cpu"),
    limitRule("memory"),
    {
      rule: `!has(self.config) || self.config.size() <= ${MAX_CONFIG_ENTRIES}`,
      message: `spec.config accepts at most ${MAX_CONFIG_ENTRIES} parameters`,
      fieldPath: ".config",
    },
  ];
}

/** The no-shrink rule for a storage field of the spec. */
export function storageRule(field: string): CelRule {
  return {
    rule: `!has(self.${field}) || !has(oldSelf.${field}) || ` +
      `!isQuantity(self.${field}) || !isQuantity(oldSelf.${field}) || ` +
      `quantity(self.${field}).compareTo(quantity(oldSelf.${field})) >= 0`,
    message: `spec.${field} cannot shrink: use a size at least the current one`,
    fieldPath: `.${field}`,
  };
}

/** Object metadata: only the parts Vigil reads are typed; everything else passes through. */
export const metadataSchema = z.looseObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.int().optional(),
  resourceVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** Object metadata as Vigil reads it. */
export type ObjectMeta = z.input<typeof metadataSchema>;
