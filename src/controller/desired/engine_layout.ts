/**
 * Where each engine's official image keeps its data, configuration and
 * sockets, and the container paths Vigil mounts there. One table, read by the
 * ConfigMap (paths written into the config), the StatefulSet (mounts, env,
 * args) and the real-engine test (which maps these paths to temporary ones).
 *
 * ## Why a subdirectory for data
 * A fresh volume's root often holds `lost+found`. `initdb` and
 * `mysqld --initialize` refuse a non-empty directory, so data lives one level
 * below the mount (`PGDATA=…/pgdata`, MySQL `datadir=…/data`), a directory
 * the entrypoint creates itself (the volume root is group-writable through
 * `fsGroup`).
 *
 * @module
 */
import type { Engine } from "../../database/mod.ts";

/** The container layout of one engine. */
export interface EngineLayout {
  /** Name of the container, its port and the Service ports. */
  readonly containerName: string;
  /** Mount point of the data volume (the claim template `data`). */
  readonly dataMountPath: string;
  /** The data directory itself: a subdirectory of the mount. */
  readonly dataDirectory: string;
  /** Mount point of the ConfigMap. */
  readonly configMountPath: string;
  /** Socket and pid directory: an emptyDir, since the root filesystem is read-only. */
  readonly runPath: string;
  /** The container's arguments (the image's entrypoint stays in place). */
  readonly args: readonly string[];
}

/** The ConfigMap file the PostgreSQL server reads through `-c config_file=…`. */
export const POSTGRES_CONFIG_FILE = "postgresql.conf";
/** The ConfigMap file holding the MySQL container defaults (next to the rendered `vigil.cnf`). */
export const MYSQL_DEFAULTS_FILE = "container.cnf";

const POSTGRES_CONFIG_DIR = "/etc/vigil";

/** The layout of each engine's official image, as Vigil runs it. */
export const ENGINE_LAYOUT: Readonly<Record<Engine, EngineLayout>> = {
  postgres: {
    containerName: "postgres",
    dataMountPath: "/var/lib/postgresql/data",
    dataDirectory: "/var/lib/postgresql/data/pgdata",
    configMountPath: POSTGRES_CONFIG_DIR,
    runPath: "/var/run/postgresql",
    // The official entrypoint runs initdb and its setup when the first
    // argument is `postgres`, then execs it with the remaining arguments.
    args: ["postgres", "-c", `config_file=${POSTGRES_CONFIG_DIR}/${POSTGRES_CONFIG_FILE}`],
  },
  mysql: {
    containerName: "mysql",
    dataMountPath: "/var/lib/mysql",
    dataDirectory: "/var/lib/mysql/data",
    // The image's /etc/my.cnf ends with `!includedir /etc/mysql/conf.d/`.
    configMountPath: "/etc/mysql/conf.d",
    runPath: "/var/run/mysqld",
    args: ["mysqld"],
  },
};

/** Writable scratch space for both engines (the root filesystem is read-only). */
export const TMP_PATH = "/tmp";
