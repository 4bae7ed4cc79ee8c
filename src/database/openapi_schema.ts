/**
 * Turns a zod schema into a Kubernetes *structural* OpenAPI v3 schema.
 *
 * zod's JSON Schema output is close but not what the API server accepts, so
 * this rewrites it: `additionalProperties: false` and `propertyNames` are
 * dropped (structural schemas forbid or ignore them), the safe-integer bounds
 * zod adds to every integer are removed, int-or-string unions take the exact
 * shape the API server allows, and keys are ordered for a readable manifest.
 *
 * @module
 */

import { z } from "zod";

/** A JSON Schema / OpenAPI v3 node. */
export type JsonSchema = { [key: string]: unknown };

const KEY_ORDER = [
  "description",
  "type",
  "format",
  "enum",
  "default",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "anyOf",
  "required",
  "properties",
  "additionalProperties",
  "items",
];

function isObject(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function intOrString(node: JsonSchema): JsonSchema {
  const branches = Array.isArray(node.anyOf) ? node.anyOf.filter(isObject) : [];
  const pattern = branches.find((b) => b.type === "string")?.pattern;
  const out: JsonSchema = {};
  if (node.description !== undefined) out.description = node.description;
  out.anyOf = [{ type: "integer" }, { type: "string" }];
  if (pattern !== undefined) out.pattern = pattern;
  out["x-kubernetes-int-or-string"] = true;
  return out;
}

function order(node: JsonSchema): JsonSchema {
  const keys = Object.keys(node).sort((a, b) => {
    const ia = KEY_ORDER.indexOf(a);
    const ib = KEY_ORDER.indexOf(b);
    return (ia < 0 ? KEY_ORDER.length : ia) - (ib < 0 ? KEY_ORDER.length : ib) ||
      (a < b ? -1 : a > b ? 1 : 0);
  });
  return Object.fromEntries(keys.map((k) => [k, node[k]]));
}

/** Rewrites one zod JSON Schema node (recursively) into its structural form. */
export function structural(node: JsonSchema): JsonSchema {
  if (node["x-kubernetes-int-or-string"] === true) return intOrString(node);
  const out: JsonSchema = { ...node };
  delete out.$schema;
  delete out.propertyNames;
  if (out.additionalProperties === false) delete out.additionalProperties;
  if (out.type === "integer") {
    if (out.minimum === -Number.MAX_SAFE_INTEGER) delete out.minimum;
    if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
  }
  if (out.format === "date-time") delete out.pattern;
  if (isObject(out.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties).map(([k, v]) => [k, isObject(v) ? structural(v) : v]),
    );
  }
  if (isObject(out.additionalProperties)) {
    out.additionalProperties = structural(out.additionalProperties);
  }
  if (isObject(out.items)) out.items = structural(out.items);
  return order(out);
}

/**
 * Returns the structural OpenAPI v3 schema of a zod schema, as a CRD embeds it.
 *
 * Input-side types are used: fields with defaults are optional and carry `default`.
 */
export function toOpenApiSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { target: "openapi-3.0", io: "input" }) as JsonSchema;
  return structural(json);
}
