/**
 * The ConfigMap `<name>-config`: the engine's real configuration files, and
 * the config hash that rolls the pods when they change.
 *
 * ## Files
 * - PostgreSQL: `postgresql.conf`, the whole server configuration, read through
 *   `postgres -c config_file=/etc/vigil/postgresql.conf`. It holds the
 *   container defaults the official image's `initdb` would have written
 *   (`listen_addresses = '*'`, time zone, text search configuration), points
 *   `hba_file`/`ident_file` back into `PGDATA` (moving `config_file` moves the
 *   directory they default to), and ends with `include 'vigil.conf'`: the file
 *   {@linkcode renderConfigFile} renders from `spec.config`, so the user's
 *   parameters come last and win.
 * - MySQL: `vigil.cnf` ({@linkcode renderConfigFile}, a `[mysqld]` section) and
 *   `container.cnf` (the data directory below the mount), mounted as
 *   `/etc/mysql/conf.d/`, which the image's `/etc/my.cnf` `!includedir`s after
 *   its own settings. The two files set disjoint options, so their reading
 *   order does not matter.
 *
 * ## Config hash
 * SHA-256 (hex) of the files, name and content, in name order: it changes
 * exactly when a file the engine reads changes, and it is set as the
 * {@linkcode CONFIG_HASH_ANNOTATION} of the pod template, so a config change
 * rolls the pods and nothing else does.
 *
 * @module
 */
import {
  CONFIG_FILE_NAME,
  type DefaultedDatabaseV1,
  type Engine,
  renderConfigFile,
} from "../../database/mod.ts";
import type { KubeObject, ObjectMeta } from "../../runtime/mod.ts";
import { sha256Hex } from "./_identity.ts";
import { ENGINE_LAYOUT, MYSQL_DEFAULTS_FILE, POSTGRES_CONFIG_FILE } from "./engine_layout.ts";
import { objectNames, ownedMetadata } from "./labels.ts";

/** Pod-template annotation carrying the config hash. */
export const CONFIG_HASH_ANNOTATION = "vigil.dev/config-hash";
/** Component label of the ConfigMap. */
export const CONFIG_COMPONENT = "config";

/** A ConfigMap as Vigil writes it. */
export interface ConfigMapObject extends KubeObject {
  apiVersion: "v1";
  kind: "ConfigMap";
  metadata: ObjectMeta;
  data: Record<string, string>;
}

function postgresContainerConfig(): string {
  const pgdata = ENGINE_LAYOUT.postgres.dataDirectory;
  return [
    "# Container defaults written by Vigil; edits are overwritten.",
    "# spec.config is rendered into vigil.conf, included last so that it wins.",
    "listen_addresses = '*'",
    `hba_file = '${pgdata}/pg_hba.conf'`,
    `ident_file = '${pgdata}/pg_ident.conf'`,
    `unix_socket_directories = '${ENGINE_LAYOUT.postgres.runPath}'`,
    "timezone = 'Etc/UTC'",
    "log_timezone = 'Etc/UTC'",
    "default_text_search_config = 'pg_catalog.english'",
    `include '${CONFIG_FILE_NAME.postgres}'`,
  ].join("\n") + "\n";
}

function mysqlContainerConfig(): string {
  return [
    "# Container defaults written by Vigil; edits are overwritten.",
    "[mysqld]",
    `datadir = ${ENGINE_LAYOUT.mysql.dataDirectory}`,
  ].join("\n") + "\n";
}

/** The configuration files of a Database, by file name (the ConfigMap's `data`). */
export function configFiles(db: DefaultedDatabaseV1): Record<string, string> {
  const engine: Engine = db.spec.engine;
  const rendered = renderConfigFile(engine, db.spec.config ?? {});
  return engine === "postgres"
    ? { [POSTGRES_CONFIG_FILE]: postgresContainerConfig(), [CONFIG_FILE_NAME.postgres]: rendered }
    : { [MYSQL_DEFAULTS_FILE]: mysqlContainerConfig(), [CONFIG_FILE_NAME.mysql]: rendered };
}

/** SHA-256 hex of configuration files (name and content, in name order). */
export function configHash(files: Readonly<Record<string, string>>): string {
  const entries = Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sha256Hex(JSON.stringify(entries));
}

/**
 * Builds the ConfigMap holding the configuration files.
 *
 * @throws {TypeError} when the Database has no name, namespace or uid.
 */
export function configMap(db: DefaultedDatabaseV1): ConfigMapObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: ownedMetadata(db, objectNames(db).config, CONFIG_COMPONENT),
    data: configFiles(db),
  };
}
