/**
 * The `databases.vigil.dev` CustomResourceDefinition, generated from the zod
 * schemas of every version. `vigil crds` prints it as YAML (`crd_yaml.ts`);
 * `tools/gen_crds.ts` writes that to `crds/databases.vigil.dev.yaml`.
 *
 * Decisions:
 * - Categories: `vigil` only. Not `all`: `kubectl delete all --all` must never
 *   reach a Database, whose deletion can remove data volumes.
 * - The scale subresource exists on v1 and v1beta1; v1alpha1's `size` is a
 *   string, which the scale subresource cannot address.
 * - The conversion webhook's `caBundle` is left out: the installer (or the
 *   self-signed mode) patches it in.
 *
 * @module
 */

import type { z } from "zod";
import { GROUP } from "./schema_common.ts";
import { type JsonSchema, structural, toOpenApiSchema } from "./openapi_schema.ts";
import { DatabaseSpecV1Schema } from "./database_v1.ts";
import { DatabaseSpecV1beta1Schema } from "./database_v1beta1.ts";
import { DatabaseSpecV1alpha1Schema, V1ALPHA1_DEPRECATION_WARNING } from "./database_v1alpha1.ts";
import { statusSchema } from "./status_schema.ts";

/** Name of the CRD. */
export const CRD_NAME = `databases.${GROUP}`;

/** Where the conversion webhook is served; the installer fills in `caBundle`. */
export const CONVERSION_SERVICE = {
  namespace: "vigil-system",
  name: "vigil-webhook",
  path: "/convert",
  port: 443,
} as const;

function rootSchema(description: string, spec: z.ZodType): JsonSchema {
  return {
    description,
    type: "object",
    properties: {
      apiVersion: {
        description: "Versioned schema of this representation of an object.",
        type: "string",
      },
      kind: { description: "REST resource this object represents: Database.", type: "string" },
      metadata: { type: "object" },
      spec: structural({ ...toOpenApiSchema(spec), default: {} }),
      status: toOpenApiSchema(statusSchema),
    },
  };
}

function columns(versionPath: string, withEngine: boolean): JsonSchema[] {
  return [
    ...(withEngine
      ? [{
        name: "Engine",
        type: "string",
        jsonPath: ".spec.engine",
        description: "Database engine.",
      }]
      : []),
    {
      name: "Version",
      type: "string",
      jsonPath: versionPath,
      description: "Requested engine version.",
    },
    {
      name: "Ready",
      type: "string",
      jsonPath: ".status.ready",
      description: "Ready/desired instances.",
    },
    { name: "Phase", type: "string", jsonPath: ".status.phase", description: "Lifecycle phase." },
    {
      name: "Storage",
      type: "string",
      jsonPath: withEngine ? ".spec.storageSize" : ".spec.storage",
      description: "Requested volume size.",
      priority: 1,
    },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ];
}

const SCALE = {
  specReplicasPath: ".spec.replicas",
  statusReplicasPath: ".status.replicas",
  labelSelectorPath: ".status.selector",
};

/**
 * Builds the CRD object (apiextensions.k8s.io/v1).
 *
 * Pure and deterministic: the same code always yields the same object.
 */
export function buildCrd(): JsonSchema {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: CRD_NAME,
      labels: { "app.kubernetes.io/name": "vigil", "app.kubernetes.io/part-of": "vigil" },
    },
    spec: {
      group: GROUP,
      names: {
        kind: "Database",
        listKind: "DatabaseList",
        plural: "databases",
        singular: "database",
        shortNames: ["db", "vdb"],
        categories: ["vigil"],
      },
      scope: "Namespaced",
      conversion: {
        strategy: "Webhook",
        webhook: {
          conversionReviewVersions: ["v1"],
          clientConfig: { service: { ...CONVERSION_SERVICE } },
        },
      },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: rootSchema(
              "A PostgreSQL or MySQL database run by Vigil.",
              DatabaseSpecV1Schema,
            ),
          },
          subresources: { status: {}, scale: SCALE },
          additionalPrinterColumns: columns(".spec.version", true),
        },
        {
          name: "v1beta1",
          served: true,
          storage: false,
          schema: {
            openAPIV3Schema: rootSchema(
              "A PostgreSQL or MySQL database run by Vigil (v1beta1; prefer v1).",
              DatabaseSpecV1beta1Schema,
            ),
          },
          subresources: { status: {}, scale: SCALE },
          additionalPrinterColumns: columns(".spec.version", true),
        },
        {
          name: "v1alpha1",
          served: true,
          storage: false,
          deprecated: true,
          deprecationWarning: V1ALPHA1_DEPRECATION_WARNING,
          schema: {
            openAPIV3Schema: rootSchema(
              "A database run by Vigil (deprecated v1alpha1; use v1).",
              DatabaseSpecV1alpha1Schema,
            ),
          },
          subresources: { status: {} },
          additionalPrinterColumns: columns(".spec.dbVersion", false),
        },
      ],
    },
  };
}

/** Header of the generated manifest. */
export const CRD_HEADER = "# Generated from src/database by tools/gen_crds.ts; do not edit.\n" +
  "# Regenerate with: deno task crds\n";
