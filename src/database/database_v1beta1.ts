/**
 * `vigil.dev/v1beta1` Database: served, converted through v1.
 *
 * It has every v1 field except `image`, which it cannot express; conversion
 * keeps that value in the `vigil.dev/conversion-data` annotation.
 *
 * @module
 */

import { z } from "zod";
import {
  backupScheduleField,
  configField,
  engineField,
  GROUP,
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

/** apiVersion of v1beta1. */
export const V1BETA1 = `${GROUP}/v1beta1` as const;

/** Desired state of a v1beta1 Database. */
export const DatabaseSpecV1beta1Schema = z.object({
  engine: engineField,
  version: versionField.optional(),
  replicas: replicasField,
  storageSize: storageSizeField,
  storageClassName: storageClassNameField.optional(),
  resources: resourcesField.optional(),
  config: configField.optional(),
  backupSchedule: backupScheduleField.optional(),
  pvcDeletionPolicy: pvcDeletionPolicyField,
}).meta({ "x-kubernetes-validations": specRules() }).describe(
  "Desired state of the Database.",
);

/** A `vigil.dev/v1beta1` Database. */
export const DatabaseV1beta1Schema = z.object({
  apiVersion: z.literal(V1BETA1),
  kind: z.literal("Database"),
  metadata: metadataSchema.optional(),
  spec: DatabaseSpecV1beta1Schema.prefault({}),
  status: statusSchema.optional(),
}).describe("A PostgreSQL or MySQL database run by Vigil (v1beta1).");

/** A v1beta1 Database as written. */
export type DatabaseV1beta1 = z.input<typeof DatabaseV1beta1Schema>;
/** A v1beta1 spec as written. */
export type DatabaseSpecV1beta1 = z.input<typeof DatabaseSpecV1beta1Schema>;
