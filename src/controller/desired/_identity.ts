/**
 * Private helpers of the desired-state builders: the Database's identity
 * (name, namespace, uid) with a clear error when it is missing, and digests.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { DefaultedDatabaseV1 } from "../../database/mod.ts";

/** Where a Database lives: every owned object is named after it in its namespace. */
export interface Identity {
  readonly name: string;
  readonly namespace: string;
}

/**
 * Reads `metadata.name` and `metadata.namespace` of a Database.
 *
 * @throws {TypeError} when either is missing (only objects read from the API server are built).
 */
export function identityOf(db: DefaultedDatabaseV1): Identity {
  const name = db.metadata?.name;
  const namespace = db.metadata?.namespace;
  if (!name) throw new TypeError("Cannot build desired state: the Database has no metadata.name");
  if (!namespace) {
    throw new TypeError(`Cannot build desired state: Database "${name}" has no metadata.namespace`);
  }
  return { name, namespace };
}

/** Lower-case hex SHA-256 of the UTF-8 text (synchronous, so builders stay plain functions). */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
