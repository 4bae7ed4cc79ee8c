/**
 * The credentials Secret `<name>-credentials`: generated once, read back on
 * every reconcile, and the only place the database's passwords live.
 *
 * ## Keys
 * `username`, `password`, `database`, `host`, `port`, `uri` and `type`
 * (`postgresql` or `mysql`) — the entries a service-binding consumer reads —
 * and, for MySQL, `root-password`. The StatefulSet passes them to the official
 * images through `secretKeyRef` env (`POSTGRES_*`, `MYSQL_*`).
 *
 * ## Guarantees
 * - Only `data` (base64), never `stringData`: `stringData` is write-only and
 *   would never compare equal to the live object. `type: Opaque`, because a
 *   Secret's type is immutable and Opaque suits every consumer.
 * - `host` is `<name>.<namespace>.svc`, independent of the cluster domain.
 * - Nothing here logs or returns a password outside the Secret object.
 *
 * ## The MySQL root password
 * Derived, not stored separately: the first 32 hex characters of
 * SHA-256(`"vigil/mysql-root/" + password`), so it needs no second input and
 * stays stable while the password does. Whoever knows the application password
 * can therefore compute it; that is acceptable only because the StatefulSet
 * sets `MYSQL_ROOT_HOST=localhost`, so root can log in only from inside the
 * database container — whose environment already holds the root password.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { type DefaultedDatabaseV1, type Engine, ENGINE_CATALOG } from "../../database/mod.ts";
import type { KubeObject, ObjectMeta } from "../../runtime/mod.ts";
import { identityOf, sha256Hex } from "./_identity.ts";
import { objectNames, ownedMetadata } from "./labels.ts";

/** Component label of the credentials Secret. */
export const CREDENTIALS_COMPONENT = "credentials";
/** The database user Vigil creates (not a superuser name the images reserve). */
export const DATABASE_USER = "app";
/** The database Vigil creates for the application. */
export const DATABASE_NAME = "app";
/** Length of generated passwords: 32 characters of 6 bits each (192 bits). */
export const PASSWORD_LENGTH = 32;

const URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const URI_SCHEME: Readonly<Record<Engine, string>> = { postgres: "postgresql", mysql: "mysql" };

/** A Secret as Vigil writes it. */
export interface SecretObject extends KubeObject {
  apiVersion: "v1";
  kind: "Secret";
  metadata: ObjectMeta;
  type: "Opaque";
  data: Record<string, string>;
}

/**
 * Returns a new random password: {@linkcode PASSWORD_LENGTH} URL-safe
 * characters (`A-Z a-z 0-9 - _`) from `crypto.getRandomValues`. Each byte
 * maps to one of 64 characters, so every character is uniform.
 */
export function generatePassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(PASSWORD_LENGTH));
  return Array.from(bytes, (b) => URL_SAFE[b & 63]).join("");
}

/**
 * Reads the password back from a live credentials Secret, or `undefined` when
 * there is no Secret or it has no non-empty `password` entry.
 */
export function passwordOf(secret: KubeObject | undefined): string | undefined {
  const data = secret?.data;
  if (typeof data !== "object" || data === null) return undefined;
  const encoded = (data as Record<string, unknown>).password;
  if (typeof encoded !== "string" || encoded === "") return undefined;
  const password = Buffer.from(encoded, "base64").toString("utf8");
  return password === "" ? undefined : password;
}

/** The MySQL root password derived from the application password (see the module documentation). */
export function mysqlRootPassword(password: string): string {
  return sha256Hex(`vigil/mysql-root/${password}`).slice(0, 32);
}

/** `<name>.<namespace>.svc`: the client Service, resolvable in any cluster domain. */
export function serviceHost(db: DefaultedDatabaseV1): string {
  const { namespace } = identityOf(db);
  return `${objectNames(db).client}.${namespace}.svc`;
}

/** The Secret's entries as plain text (before base64). */
export function credentialEntries(
  db: DefaultedDatabaseV1,
  password: string,
  options: { readonly rootPassword?: string | undefined } = {},
): Record<string, string> {
  const engine = db.spec.engine;
  const host = serviceHost(db);
  const port = String(ENGINE_CATALOG[engine].port);
  const user = encodeURIComponent(DATABASE_USER);
  const uri = `${URI_SCHEME[engine]}://${user}:${
    encodeURIComponent(password)
  }@${host}:${port}/${DATABASE_NAME}`;
  const entries: Record<string, string> = {
    type: URI_SCHEME[engine],
    username: DATABASE_USER,
    password,
    database: DATABASE_NAME,
    host,
    port,
    uri,
  };
  if (engine === "mysql") {
    entries["root-password"] = options.rootPassword ?? mysqlRootPassword(password);
  }
  return entries;
}

/** What a credentials rotation adds to the Secret (see `rotation.ts`). */
export interface CredentialsOptions {
  /**
   * MySQL: the root password to keep. A rotation changes the application
   * user's password only (root logs in from inside the container alone), so
   * the root password of the first Secret is carried over.
   */
  readonly rootPassword?: string | undefined;
  /** The `vigil.dev/rotate-credentials` value the password was last rotated for. */
  readonly rotationToken?: string | undefined;
  /** When that rotation reached the Secret (RFC 3339). */
  readonly rotatedAt?: string | undefined;
}

/** Annotation on the credentials Secret: the rotation request it answers. */
export const ROTATION_TOKEN_ANNOTATION = "vigil.dev/rotation-token";
/** Annotation on the credentials Secret: when its password was last rotated. */
export const ROTATED_AT_ANNOTATION = "vigil.dev/credentials-rotated-at";

/**
 * Builds the credentials Secret for a password (the live one, or a new
 * {@linkcode generatePassword} when there is no Secret yet).
 *
 * @throws {TypeError} when the Database has no name, namespace or uid.
 */
export function credentialsSecret(
  db: DefaultedDatabaseV1,
  password: string,
  options: CredentialsOptions = {},
): SecretObject {
  const data: Record<string, string> = {};
  const entries = credentialEntries(db, password, options);
  for (const key of Object.keys(entries).sort()) {
    data[key] = Buffer.from(entries[key] ?? "", "utf8").toString("base64");
  }
  const metadata = ownedMetadata(db, objectNames(db).credentials, CREDENTIALS_COMPONENT);
  if (options.rotationToken !== undefined) {
    metadata.annotations = {
      [ROTATION_TOKEN_ANNOTATION]: options.rotationToken,
      ...(options.rotatedAt === undefined ? {} : { [ROTATED_AT_ANNOTATION]: options.rotatedAt }),
    };
  }
  return { apiVersion: "v1", kind: "Secret", metadata, type: "Opaque", data };
}

/** The value of one key of a Secret's `data`, decoded; undefined when absent or empty. */
export function secretValue(secret: KubeObject | undefined, key: string): string | undefined {
  const data = secret?.data;
  if (typeof data !== "object" || data === null) return undefined;
  const encoded = (data as Record<string, unknown>)[key];
  if (typeof encoded !== "string" || encoded === "") return undefined;
  const value = Buffer.from(encoded, "base64").toString("utf8");
  return value === "" ? undefined : value;
}
