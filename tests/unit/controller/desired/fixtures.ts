/**
 * Databases for the desired-state tests: a defaulted v1 object per engine,
 * with the identity the API server would give it.
 *
 * @module
 */
import {
  type DatabaseSpecV1,
  DatabaseV1Schema,
  type DefaultedDatabaseV1,
  type Engine,
} from "../../../../src/database/mod.ts";

/** A defaulted v1 Database `shop` in namespace `prod`, with spec overrides. */
export function database(
  engine: Engine,
  spec: Partial<DatabaseSpecV1> = {},
  name = "shop",
): DefaultedDatabaseV1 {
  return DatabaseV1Schema.parse({
    apiVersion: "vigil.dev/v1",
    kind: "Database",
    metadata: {
      name,
      namespace: "prod",
      uid: "6b1f6a4e-0000-4000-8000-000000000001",
      generation: 1,
    },
    spec: { engine, version: engine === "postgres" ? "17.5" : "8.4.5", ...spec },
  });
}

/** Both engines, for tests that hold for each. */
export const ENGINES: readonly Engine[] = ["postgres", "mysql"];

/** A fixed password, so outputs are comparable. */
export const PASSWORD = "s3cr3t-Pass_word-0123456789abcdef";

/** Finds the object of a kind (and name) in a list of built objects. */
export function find<T extends { kind?: string; metadata?: { name?: string } }>(
  objects: readonly T[],
  kind: string,
  name?: string,
): T {
  const found = objects.find((o) =>
    o.kind === kind && (name === undefined || o.metadata?.name === name)
  );
  if (found === undefined) throw new Error(`no ${kind} ${name ?? ""} in the desired state`);
  return found;
}
