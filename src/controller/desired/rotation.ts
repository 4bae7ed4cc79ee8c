/**
 * The objects of a credentials rotation, asked for with the annotation
 * {@linkcode ROTATE_ANNOTATION} (any new value): the pending Secret
 * `<name>-credentials-next` holding the new password, and the Job
 * `<name>-rotate-<hash>` that sets it on every replica of the running engine
 * while logging in with the old one.
 *
 * ## Why a Job with the old credentials
 * The engine must know the new password before any client (or a restarted
 * pod) is given it, and the old one must keep working until then — so the
 * Secret clients read changes only after the Job succeeded. The Job connects
 * to each replica through the headless Service as the application user,
 * which may change its own password (`ALTER ROLE` in PostgreSQL, `ALTER USER
 * … USER()` in MySQL), so it needs no superuser and no `exec` into a pod.
 * A replica that already has the new password (a retried Job) is detected by
 * logging in with it. MySQL's root logs in only from inside the container
 * (`MYSQL_ROOT_HOST=localhost`), so its password is kept as it was.
 *
 * ## Guarantees
 * - No password on a command line or in the Job's spec: both come from the
 *   Secrets through `secretKeyRef`, and the statement reaches the server on
 *   stdin. Generated passwords use `[A-Za-z0-9_-]` only, so they need no
 *   quoting inside SQL.
 * - The Job's name carries a hash of the request, so a new request is a new
 *   Job and a repeated one is the same Job.
 *
 * @module
 */
import type { DefaultedDatabaseV1 } from "../../database/mod.ts";
import type { KubeObject, ObjectMeta } from "../../runtime/mod.ts";
import { sha256Hex } from "./_identity.ts";
import { databaseImage } from "./database_container.ts";
import { TMP_PATH } from "./engine_layout.ts";
import { DATABASE_NAME, DATABASE_USER, type SecretObject } from "./credentials_secret.ts";
import { objectNames, ownedLabels, ownedMetadata } from "./labels.ts";
import { containerSecurityContext, podSecurityContext } from "./pod_security.ts";
import { Buffer } from "node:buffer";
import { ENGINE_CATALOG } from "../../database/mod.ts";

/** Set to a new value on a Database to ask for new credentials. */
export const ROTATE_ANNOTATION = "vigil.dev/rotate-credentials";
/** Component label of the pending Secret and the rotation Job. */
export const ROTATION_COMPONENT = "rotation";
/** Annotation on the pending Secret and the Job: the request they serve. */
export const ROTATION_REQUEST_ANNOTATION = "vigil.dev/rotation-request";

/** A Job as Vigil writes it. */
export interface JobObject extends KubeObject {
  apiVersion: "batch/v1";
  kind: "Job";
  metadata: ObjectMeta;
  spec: Record<string, unknown>;
}

/** `<name>-credentials-next`: the pending Secret. */
export function pendingSecretName(db: DefaultedDatabaseV1): string {
  return `${objectNames(db).credentials}-next`;
}

/** `<name>-rotate-<first 10 hex of SHA-256(request)>`: the Job of one request. */
export function rotationJobName(db: DefaultedDatabaseV1, request: string): string {
  return `${objectNames(db).statefulSet}-rotate-${sha256Hex(request).slice(0, 10)}`;
}

/** The pending Secret: the new password, for the Job, until the rotation is done. */
export function pendingCredentialsSecret(
  db: DefaultedDatabaseV1,
  password: string,
  request: string,
): SecretObject {
  const metadata = ownedMetadata(db, pendingSecretName(db), ROTATION_COMPONENT);
  metadata.annotations = { [ROTATION_REQUEST_ANNOTATION]: request };
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata,
    type: "Opaque",
    data: { password: Buffer.from(password, "utf8").toString("base64") },
  };
}

/** The shell script of the rotation Job (see the module documentation). */
export function rotationScript(db: DefaultedDatabaseV1): string {
  const names = objectNames(db);
  const port = ENGINE_CATALOG[db.spec.engine].port;
  const host = `"${names.statefulSet}-$i.${names.headless}"`;
  const each = db.spec.engine === "postgres"
    ? [
      `  if PGPASSWORD="$NEW_PASSWORD" psql -h ${host} -p ${port} -U ${DATABASE_USER} ` +
      `-d ${DATABASE_NAME} -qtAc 'select 1' >/dev/null 2>&1; then continue; fi`,
      `  printf "ALTER ROLE ${DATABASE_USER} PASSWORD '%s';\\n" "$NEW_PASSWORD" |`,
      `    PGPASSWORD="$OLD_PASSWORD" psql -h ${host} -p ${port} -U ${DATABASE_USER} ` +
      `-d ${DATABASE_NAME} -v ON_ERROR_STOP=1 -q`,
    ]
    : [
      `  printf '[client]\\npassword="%s"\\n' "$NEW_PASSWORD" > ${TMP_PATH}/new.cnf`,
      `  printf '[client]\\npassword="%s"\\n' "$OLD_PASSWORD" > ${TMP_PATH}/old.cnf`,
      `  if mysql --defaults-extra-file=${TMP_PATH}/new.cnf -h ${host} -P ${port} ` +
      `-u ${DATABASE_USER} -e 'select 1' >/dev/null 2>&1; then continue; fi`,
      `  printf "ALTER USER USER() IDENTIFIED BY '%s';\\n" "$NEW_PASSWORD" |`,
      `    mysql --defaults-extra-file=${TMP_PATH}/old.cnf -h ${host} -P ${port} ` +
      `-u ${DATABASE_USER}`,
    ];
  return [
    "set -eu",
    "umask 077",
    `for i in $(seq 0 $((REPLICAS - 1))); do`,
    ...each,
    `  echo "replica $i: password changed"`,
    "done",
  ].join("\n") + "\n";
}

/**
 * The Job that sets the pending password on every replica, logging in with
 * the current one.
 *
 * @throws {TypeError} when the Database has no name, namespace or uid.
 */
export function rotationJob(
  db: DefaultedDatabaseV1,
  request: string,
  registryPrefix?: string,
): JobObject {
  const names = objectNames(db);
  const metadata = ownedMetadata(db, rotationJobName(db, request), ROTATION_COMPONENT);
  metadata.annotations = { [ROTATION_REQUEST_ANNOTATION]: request };
  const secretEnv = (name: string, secret: string) => ({
    name,
    valueFrom: { secretKeyRef: { name: secret, key: "password" } },
  });
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata,
    spec: {
      backoffLimit: 3,
      activeDeadlineSeconds: 600,
      template: {
        metadata: { labels: ownedLabels(db, ROTATION_COMPONENT) },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: podSecurityContext(),
          containers: [{
            name: "rotate",
            image: databaseImage(db, registryPrefix),
            imagePullPolicy: "IfNotPresent",
            command: ["sh", "-c", rotationScript(db)],
            env: [
              { name: "REPLICAS", value: String(db.spec.replicas) },
              secretEnv("OLD_PASSWORD", names.credentials),
              secretEnv("NEW_PASSWORD", pendingSecretName(db)),
            ],
            resources: { requests: { cpu: "100m", memory: "64Mi" } },
            securityContext: containerSecurityContext(),
            terminationMessagePolicy: "FallbackToLogsOnError",
            volumeMounts: [{ name: "tmp", mountPath: TMP_PATH }],
          }],
          volumes: [{ name: "tmp", emptyDir: {} }],
        },
      },
    },
  };
}
