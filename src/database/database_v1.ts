/**
 * `vigil.dev/v1` Database: the storage version and the conversion hub.
 *
 * The zod schema is the single source of truth for the TypeScript type, the
 * CRD's OpenAPI schema (see `crd.ts`) and the schema defaults.
 *
 * @module
 */

import { z } from "zod";
import {
  backupScheduleField,
  configField,
  engineField,
  GROUP,
  imageField,
  metadataSchema,
  pvcDeletionPolicyField,
  replicasField,
  resourcesField,
  specRules,
  storageClassNameField,
  storageSizeField,
  versionField,
} from "./schema_common.ts";
import { statusSchema } from "./status_schema.ts";

/** apiVersion of the hub. */
export const V1 = `${GROUP}/v1` as const;

/**
 * The finalizer on every Database Vigil runs: its cleanup (ordered deletes,
 * PVC policy) runs before the object goes. Set by the mutating webhook at
 * creation, and by the reconciler on a Database that lacks it.
 */
export const CLEANUP_FINALIZER = "vigil.dev/cleanup";

/** Desired state of a v1 Database. */
export const DatabaseSpecV1Schema = z.object({
  engine: engineField,
  version: versionField.optional(),
  replicas: replicasField,
  storageSize: storageSizeField,
  storageClassName: storageClassNameField.optional(),
  resources: resourcesField.optional(),
  config: configField.optional(),
  backupSchedule: backupScheduleField.optional(),
  image: imageField.optional(),
  pvcDeletionPolicy: pvcDeletionPolicyField,
}).meta({ "x-kubernetes-validations": specRules() }).describe(
  "Desired state of the Database.",
);

/** A `vigil.dev/v1` Database. */
export const DatabaseV1Schema = z.object({
  apiVersion: z.literal(V1),
  kind: z.literal("Database"),
  metadata: metadataSchema.optional(),
  spec: DatabaseSpecV1Schema.prefault({}),
  status: statusSchema.optional(),
}).describe("A PostgreSQL or MySQL database run by Vigil.");

/** A v1 Database as written (schema defaults not yet applied). */
export type DatabaseV1 = z.input<typeof DatabaseV1Schema>;
/** A v1 spec as written. */
export type DatabaseSpecV1 = z.input<typeof DatabaseSpecV1Schema>;
/** A v1 Database after schema defaults (what the API server stores). */
export type DefaultedDatabaseV1 = z.output<typeof DatabaseV1Schema>;
