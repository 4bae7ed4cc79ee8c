/**
 * `vigil.dev/v1alpha1` Database: served but deprecated; the seed's first API.
 *
 * Field mapping to v1: `size` (string) → `replicas`, `dbVersion` → `version`,
 * `storage` → `storageSize`, `backup` (bool) → `backupSchedule` (`@daily` when
 * true, absent when false). Every other v1 field is kept, on conversion, in
 * the `vigil.dev/conversion-data` annotation.
 *
 * @module
 */

import { z } from "zod";
import {
  GROUP,
  metadataSchema,
  STORAGE_PATTERN,
  storageRule,
  VERSION_PATTERN,
} from "./schema_common.ts";
import { statusSchema } from "./status_schema.ts";

/** apiVersion of v1alpha1. */
export const V1ALPHA1 = `${GROUP}/v1alpha1` as const;

/** Warning the API server returns to clients that use v1alpha1. */
export const V1ALPHA1_DEPRECATION_WARNING =
  "vigil.dev/v1alpha1 Database is deprecated; use vigil.dev/v1 (size→replicas, " +
  "dbVersion→version, storage→storageSize, backup→backupSchedule)";

/**
 * `size`: exactly the decimal strings that convert to v1 `replicas` 1–10,
 * leading zeros allowed (kept, on conversion, in the annotation).
 */
export const V1ALPHA1_SIZE_PATTERN = "^0*([1-9]|10)$";

/** The v1alpha1 `size` field. */
export const sizeField = z.string().max(3).regex(new RegExp(V1ALPHA1_SIZE_PATTERN)).describe(
  "Number of instances as a decimal string from 1 to 10 (deprecated; v1 spec.replicas).",
);

/** Desired state of a v1alpha1 Database. */
export const DatabaseSpecV1alpha1Schema = z.object({
  size: sizeField.optional(),
  dbVersion: z.string().max(16).regex(new RegExp(VERSION_PATTERN)).optional().describe(
    "Engine version (deprecated; v1 spec.version).",
  ),
  storage: z.string().max(32).regex(new RegExp(STORAGE_PATTERN)).optional().describe(
    "Volume size as a Kubernetes quantity (deprecated; v1 spec.storageSize). Never shrinks.",
  ),
  backup: z.boolean().optional().describe(
    "Daily backups when true (deprecated; v1 spec.backupSchedule).",
  ),
}).meta({ "x-kubernetes-validations": [storageRule("storage")] }).describe(
  "Desired state of the Database (deprecated version).",
);

/** A `vigil.dev/v1alpha1` Database. */
export const DatabaseV1alpha1Schema = z.object({
  apiVersion: z.literal(V1ALPHA1),
  kind: z.literal("Database"),
  metadata: metadataSchema.optional(),
  spec: DatabaseSpecV1alpha1Schema.prefault({}),
  status: statusSchema.optional(),
}).describe("A database run by Vigil (deprecated v1alpha1).");

/** A v1alpha1 Database as written. */
export type DatabaseV1alpha1 = z.input<typeof DatabaseV1alpha1Schema>;
/** A v1alpha1 spec as written. */
export type DatabaseSpecV1alpha1 = z.input<typeof DatabaseSpecV1alpha1Schema>;
