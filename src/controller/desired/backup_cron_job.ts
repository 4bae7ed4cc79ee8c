/**
 * The backup CronJob `<name>-backup`, present only while `spec.backupSchedule`
 * is set: a real `pg_dump` / `mysqldump` of the application database, run from
 * the Database's own image (so the dump tool matches the server version),
 * with credentials from the Secret, onto the backup PVC.
 *
 * ## Guarantees
 * - Each run writes `<name>-<UTC timestamp>.dump` (PostgreSQL custom format)
 *   or `.sql` (MySQL). The dump goes to a `.partial` file first and is renamed
 *   only when complete, so a file with the final name is always a whole dump.
 * - The newest {@linkcode BACKUP_RETENTION} dumps are kept; older ones are
 *   deleted after a successful run.
 * - Passwords never appear on a command line: `PGPASSWORD` for `pg_dump`, a
 *   `0600` option file in the pod's `/tmp` for `mysqldump`.
 * - `concurrencyPolicy: Forbid` (one writer on a ReadWriteOnce volume), a
 *   start deadline so a long outage does not queue a burst of runs, history
 *   limits, `timeZone: Etc/UTC`, and the same restricted security context as
 *   the database pods.
 * - The schedule is {@linkcode cronJobSchedule}'s translation.
 *
 * @module
 */
import type { DefaultedDatabaseV1, Engine } from "../../database/mod.ts";
import type { KubeObject, ObjectMeta } from "../../runtime/mod.ts";
import { BACKUP_COMPONENT } from "./backup_pvc.ts";
import { cronJobSchedule } from "./backup_schedule.ts";
import { databaseImage } from "./database_container.ts";
import { TMP_PATH } from "./engine_layout.ts";
import { identityOf } from "./_identity.ts";
import { objectNames, ownedLabels, ownedMetadata } from "./labels.ts";
import { containerSecurityContext, podSecurityContext } from "./pod_security.ts";

/** Number of dumps kept on the backup PVC. */
export const BACKUP_RETENTION = 7;
/** Where the backup PVC is mounted in the backup pod. */
export const BACKUP_MOUNT_PATH = "/backup";

/** A CronJob as Vigil writes it. */
export interface CronJobObject extends KubeObject {
  apiVersion: "batch/v1";
  kind: "CronJob";
  metadata: ObjectMeta;
  spec: Record<string, unknown>;
}

type Json = Record<string, unknown>;

/** Env of the backup container: what the dump tool reads, from the credentials Secret. */
const BACKUP_ENV: Readonly<Record<Engine, ReadonlyArray<readonly [string, string]>>> = {
  // libpq reads these itself.
  postgres: [
    ["PGHOST", "host"],
    ["PGPORT", "port"],
    ["PGUSER", "username"],
    ["PGPASSWORD", "password"],
    ["PGDATABASE", "database"],
  ],
  // Not MYSQL_HOST & co., which the MySQL clients would also read implicitly.
  mysql: [
    ["DB_HOST", "host"],
    ["DB_PORT", "port"],
    ["DB_USER", "username"],
    ["DB_PASSWORD", "password"],
    ["DB_NAME", "database"],
  ],
};

function backupEnv(db: DefaultedDatabaseV1): Json[] {
  const secret = objectNames(db).credentials;
  return BACKUP_ENV[db.spec.engine].map(([name, key]) => ({
    name,
    valueFrom: { secretKeyRef: { name: secret, key } },
  }));
}

/** The shell script of one backup run. */
export function backupScript(db: DefaultedDatabaseV1): string {
  const { name } = identityOf(db);
  const extension = db.spec.engine === "postgres" ? "dump" : "sql";
  const dump = db.spec.engine === "postgres"
    ? 'pg_dump --format=custom --no-password --file="$file.partial"'
    : [
      `printf '[client]\\npassword="%s"\\n' "$DB_PASSWORD" > ${TMP_PATH}/client.cnf`,
      `mysqldump --defaults-extra-file=${TMP_PATH}/client.cnf --host="$DB_HOST" ` +
      `--port="$DB_PORT" --user="$DB_USER" --single-transaction --routines --events ` +
      `--no-tablespaces --databases "$DB_NAME" > "$file.partial"`,
    ].join("\n");
  return [
    "set -eu",
    "umask 077",
    `file="${BACKUP_MOUNT_PATH}/${name}-$(date -u +%Y%m%dT%H%M%SZ).${extension}"`,
    dump,
    'mv "$file.partial" "$file"',
    `ls -1t ${BACKUP_MOUNT_PATH}/${name}-*.${extension} | tail -n +${BACKUP_RETENTION + 1} |`,
    '  while read -r old; do rm -f -- "$old"; done',
    'echo "backup written: $file"',
  ].join("\n") + "\n";
}

function backupPod(db: DefaultedDatabaseV1, registryPrefix: string | undefined): Json {
  return {
    metadata: { labels: ownedLabels(db, BACKUP_COMPONENT) },
    spec: {
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: podSecurityContext(),
      containers: [{
        name: "backup",
        image: databaseImage(db, registryPrefix),
        imagePullPolicy: "IfNotPresent",
        command: ["sh", "-c", backupScript(db)],
        env: backupEnv(db),
        resources: { requests: { cpu: "100m", memory: "256Mi" } },
        securityContext: containerSecurityContext(),
        terminationMessagePolicy: "FallbackToLogsOnError",
        volumeMounts: [
          { name: "backup", mountPath: BACKUP_MOUNT_PATH },
          { name: "tmp", mountPath: TMP_PATH },
        ],
      }],
      volumes: [
        { name: "backup", persistentVolumeClaim: { claimName: objectNames(db).backupPvc } },
        { name: "tmp", emptyDir: {} },
      ],
    },
  };
}

/**
 * Builds the backup CronJob for a Database with a `backupSchedule`.
 *
 * @throws {TypeError} when the Database has no name, namespace, uid or backupSchedule.
 */
export function backupCronJob(db: DefaultedDatabaseV1, registryPrefix?: string): CronJobObject {
  const schedule = db.spec.backupSchedule;
  if (schedule === undefined) {
    throw new TypeError(
      `Cannot build the backup CronJob: Database "${
        identityOf(db).name
      }" has no spec.backupSchedule`,
    );
  }
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: ownedMetadata(db, objectNames(db).cronJob, BACKUP_COMPONENT),
    spec: {
      schedule: cronJobSchedule(schedule),
      timeZone: "Etc/UTC",
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 300,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels: ownedLabels(db, BACKUP_COMPONENT) },
        spec: { backoffLimit: 2, template: backupPod(db, registryPrefix) },
      },
    },
  };
}
