/**
 * fast-check generators derived from a version's zod schema, through the
 * structural OpenAPI schema the CRD carries: they produce every shape the
 * apiserver's schema validation would accept (types, enums, patterns,
 * lengths, ranges, int-or-string), not only the values a test author thought
 * of. Refinements zod checks but the CRD cannot express are not applied, so
 * the generated set is a superset of what the apiserver accepts.
 *
 * @module
 */
import fc from "fast-check";
import type { z } from "zod";
import { type JsonSchema, toOpenApiSchema } from "../../../src/database/openapi_schema.ts";

/** Longest string generated for an unpatterned string field (keeps runs fast). */
const MAX_FREE_STRING = 24;

function isObject(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringArb(node: JsonSchema): fc.Arbitrary<string> {
  const max = typeof node.maxLength === "number" ? node.maxLength : Infinity;
  const min = typeof node.minLength === "number" ? node.minLength : 0;
  if (Array.isArray(node.enum)) return fc.constantFrom(...(node.enum as string[]));
  if (node.format === "date-time") {
    return fc.date({
      min: new Date("2000-01-01T00:00:00Z"),
      max: new Date("2099-12-31T23:59:59Z"),
      noInvalidDate: true,
    }).map((d) => d.toISOString().replace(/\.\d{3}Z$/, "Z"));
  }
  if (typeof node.pattern === "string") {
    return fc.stringMatching(new RegExp(node.pattern)).filter((s) =>
      s.length >= min && s.length <= max
    );
  }
  return fc.string({ minLength: min, maxLength: Math.min(max, MAX_FREE_STRING) });
}

function integerArb(node: JsonSchema): fc.Arbitrary<number> {
  const min = typeof node.minimum === "number" ? node.minimum : -(2 ** 31);
  const max = typeof node.maximum === "number" ? node.maximum : 2 ** 31 - 1;
  return fc.integer({ min, max });
}

/**
 * An arbitrary of the JSON values a structural OpenAPI schema accepts.
 *
 * @throws {TypeError} on a schema construct the generator does not know
 * (so a schema change cannot silently narrow what the tests cover).
 */
export function arbitraryFromOpenApi(node: JsonSchema): fc.Arbitrary<unknown> {
  if (node["x-kubernetes-int-or-string"] === true) {
    const asString = typeof node.pattern === "string"
      ? stringArb({ pattern: node.pattern, maxLength: 64 })
      : fc.string({ maxLength: MAX_FREE_STRING });
    return fc.oneof(fc.integer({ min: 0, max: 2 ** 31 - 1 }), asString);
  }
  switch (node.type) {
    case "string":
      return stringArb(node);
    case "integer":
      return integerArb(node);
    case "boolean":
      return fc.boolean();
    case "array": {
      if (!isObject(node.items)) throw new TypeError("Cannot generate an array without items");
      const maxLength = typeof node.maxItems === "number" ? Math.min(node.maxItems, 3) : 3;
      return fc.array(arbitraryFromOpenApi(node.items), { maxLength });
    }
    case "object": {
      if (isObject(node.additionalProperties)) {
        const maxKeys = typeof node.maxProperties === "number" ? node.maxProperties : 5;
        return fc.dictionary(
          fc.string({ minLength: 1, maxLength: 16 }),
          arbitraryFromOpenApi(node.additionalProperties),
          { maxKeys: Math.min(maxKeys, 6) },
        );
      }
      const properties = isObject(node.properties) ? node.properties : {};
      const required = Array.isArray(node.required) ? node.required as string[] : [];
      const fields = Object.fromEntries(
        Object.entries(properties).map(([k, v]) => [k, arbitraryFromOpenApi(v as JsonSchema)]),
      );
      return fc.record(fields, { requiredKeys: required });
    }
    default:
      throw new TypeError(`Cannot generate values of schema type ${JSON.stringify(node.type)}`);
  }
}

/** Every spec the CRD schema generated from `schema` accepts (a superset of the zod schema's). */
export function specArbitrary(schema: z.ZodType): fc.Arbitrary<Record<string, unknown>> {
  return arbitraryFromOpenApi(toOpenApiSchema(schema)) as fc.Arbitrary<Record<string, unknown>>;
}
