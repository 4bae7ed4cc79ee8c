/**
 * The database container of the StatefulSet's pods: image, arguments, env
 * from the credentials Secret, probes, the preStop drain and resources.
 *
 * ## Probes
 * All three run the engine's own client over loopback TCP. The official
 * entrypoints initialise a new data directory with a temporary server that
 * listens on the Unix socket only, so a TCP probe cannot mistake that phase
 * for a running database.
 * - PostgreSQL: `pg_isready` as the application user (loopback connections are
 *   trusted by the image's `pg_hba.conf`, so it needs no password and logs no
 *   failed login). It reports "accepting connections" even when all slots are
 *   taken, so an overloaded server is not restarted.
 * - MySQL: `mysqladmin ping` with the application user (password from
 *   `MYSQL_PWD`, never on the command line); it succeeds whenever the server
 *   answers.
 * - Startup probe: every 10 s, up to 60 failures — 10 minutes before the kubelet
 *   kills a container that has not started. The field notes (seeds 000/003)
 *   settled on 150 s for an application; a database doing crash recovery or
 *   first-time initialisation on a slow volume needs more, and being killed
 *   mid-recovery only restarts the recovery.
 * - Readiness: every 5 s, 3 failures (15 s) to leave the Service.
 * - Liveness (only after startup succeeded): every 10 s, 6 failures (60 s) —
 *   restarting a database is expensive, so only a server that stops answering
 *   for a full minute is restarted.
 *
 * ## Shutdown
 * `terminationGracePeriodSeconds: 120`. The preStop hook first sleeps 5 s, so
 * that endpoint controllers and kube-proxy stop sending new connections while
 * the server still answers. Then:
 * - PostgreSQL: `pg_ctl stop --mode=fast --no-wait` starts a fast shutdown
 *   (sessions ended, a shutdown checkpoint written) and returns at once. The
 *   SIGTERM that follows would request a *smart* shutdown, which waits for
 *   every client to disconnect — pooled connections never do, so the pod would
 *   be killed at the deadline and recover at the next start. `--no-wait`
 *   matters: when the postmaster (PID 1) exits, everything in the container is
 *   killed, and a hook still waiting would be reported as failed.
 * - MySQL: nothing more — SIGTERM already makes mysqld shut down cleanly.
 *
 * @module
 */
import {
  compareQuantities,
  DEFAULT_REQUESTS,
  type DefaultedDatabaseV1,
  defaultVersion,
  type Engine,
  ENGINE_CATALOG,
  resolveImage,
} from "../../database/mod.ts";
import { canonicalQuantity } from "./canonical_quantity.ts";
import { DATABASE_NAME, DATABASE_USER } from "./credentials_secret.ts";
import { ENGINE_LAYOUT, TMP_PATH } from "./engine_layout.ts";
import { objectNames } from "./labels.ts";
import { containerSecurityContext } from "./pod_security.ts";

/** Seconds between SIGTERM and SIGKILL for database pods. */
export const TERMINATION_GRACE_PERIOD_SECONDS = 120;
/** Seconds the preStop hook waits for endpoints to drop the pod. */
export const PRE_STOP_DRAIN_SECONDS = 5;

/** Probe timings (seconds, counts): see the module documentation. */
export const PROBE_TIMINGS = {
  startup: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 60 },
  readiness: { periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 3 },
  liveness: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
} as const;

type Json = Record<string, unknown>;

/** The probe command of an engine (exec, loopback TCP). */
export function probeCommand(engine: Engine): string[] {
  const port = String(ENGINE_CATALOG[engine].port);
  if (engine === "postgres") {
    return [
      "pg_isready",
      "--host=127.0.0.1",
      `--port=${port}`,
      `--username=${DATABASE_USER}`,
      `--dbname=${DATABASE_NAME}`,
      "--timeout=3",
      "--quiet",
    ];
  }
  return [
    "sh",
    "-c",
    `MYSQL_PWD="$MYSQL_PASSWORD" exec mysqladmin --host=127.0.0.1 --port=${port} ` +
    `--user="$MYSQL_USER" --connect-timeout=3 --silent ping`,
  ];
}

/** The preStop command of an engine (see the module documentation). */
export function preStopCommand(engine: Engine): string[] {
  const drain = `sleep ${PRE_STOP_DRAIN_SECONDS}`;
  const script = engine === "postgres" ? `${drain}; exec pg_ctl stop --mode=fast --no-wait` : drain;
  return ["sh", "-c", script];
}

function fromSecret(db: DefaultedDatabaseV1, name: string, key: string): Json {
  return { name, valueFrom: { secretKeyRef: { name: objectNames(db).credentials, key } } };
}

/** The container's env: what the official image reads, from the credentials Secret. */
export function databaseEnv(db: DefaultedDatabaseV1): Json[] {
  if (db.spec.engine === "postgres") {
    return [
      fromSecret(db, "POSTGRES_USER", "username"),
      fromSecret(db, "POSTGRES_PASSWORD", "password"),
      fromSecret(db, "POSTGRES_DB", "database"),
      { name: "PGDATA", value: ENGINE_LAYOUT.postgres.dataDirectory },
    ];
  }
  return [
    fromSecret(db, "MYSQL_USER", "username"),
    fromSecret(db, "MYSQL_PASSWORD", "password"),
    fromSecret(db, "MYSQL_DATABASE", "database"),
    fromSecret(db, "MYSQL_ROOT_PASSWORD", "root-password"),
    // root exists only as root@localhost: see credentials_secret.ts.
    { name: "MYSQL_ROOT_HOST", value: "localhost" },
  ];
}

type ResourceName = "cpu" | "memory";

/**
 * Compute resources: `spec.resources` with quantities in canonical form; a
 * missing request defaults to cpu 100m / memory 256Mi, or to the limit when
 * that is lower (as the mutating webhook does).
 */
export function databaseResources(db: DefaultedDatabaseV1): Json {
  const spec = db.spec.resources;
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  for (const name of ["cpu", "memory"] as const satisfies readonly ResourceName[]) {
    const limit = spec?.limits?.[name];
    const fallback = limit !== undefined && compareQuantities(limit, DEFAULT_REQUESTS[name]) < 0
      ? limit
      : DEFAULT_REQUESTS[name];
    requests[name] = canonicalQuantity(spec?.requests?.[name] ?? fallback);
    if (limit !== undefined) limits[name] = canonicalQuantity(limit);
  }
  return Object.keys(limits).length === 0 ? { requests } : { requests, limits };
}

/** The image to run: `spec.image`, else the catalog image (under the mirror prefix when set). */
export function databaseImage(db: DefaultedDatabaseV1, registryPrefix?: string): string {
  const engine = db.spec.engine;
  return resolveImage(engine, db.spec.version ?? defaultVersion(engine), {
    image: db.spec.image,
    registryPrefix,
  });
}

function probe(engine: Engine, timing: Json): Json {
  return { exec: { command: probeCommand(engine) }, ...timing };
}

/** Builds the database container. */
export function databaseContainer(db: DefaultedDatabaseV1, registryPrefix?: string): Json {
  const engine = db.spec.engine;
  const layout = ENGINE_LAYOUT[engine];
  return {
    name: layout.containerName,
    image: databaseImage(db, registryPrefix),
    imagePullPolicy: "IfNotPresent",
    args: [...layout.args],
    env: databaseEnv(db),
    ports: [{
      name: layout.containerName,
      containerPort: ENGINE_CATALOG[engine].port,
      protocol: "TCP",
    }],
    resources: databaseResources(db),
    startupProbe: probe(engine, PROBE_TIMINGS.startup),
    readinessProbe: probe(engine, PROBE_TIMINGS.readiness),
    livenessProbe: probe(engine, PROBE_TIMINGS.liveness),
    lifecycle: { preStop: { exec: { command: preStopCommand(engine) } } },
    securityContext: containerSecurityContext(),
    terminationMessagePolicy: "FallbackToLogsOnError",
    volumeMounts: [
      { name: "data", mountPath: layout.dataMountPath },
      { name: "config", mountPath: layout.configMountPath, readOnly: true },
      { name: "run", mountPath: layout.runPath },
      { name: "tmp", mountPath: TMP_PATH },
    ],
  };
}
