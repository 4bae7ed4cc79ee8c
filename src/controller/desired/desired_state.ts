/**
 * Everything a Database should own right now, as one pure function of the
 * Database and the operator's options: the objects to apply, in order, the
 * owned objects that must not exist, and the config hash.
 *
 * ## Guarantees
 * - Deterministic: the same inputs give deep-equal output (no clock, no
 *   randomness — the password comes in through the options).
 * - Exactly what the API server stores back for every field it sets: `data`
 *   not `stringData`, quantities in canonical form, integers as numbers, no
 *   `undefined` or `null` anywhere and no empty map the server would drop
 *   (`emptyDir: {}` is the one empty object, and the server keeps it).
 * - Every object has `apiVersion`, `kind` and `metadata.{name, namespace,
 *   labels}`, and the controller owner reference — except the backup PVC under
 *   `pvcDeletionPolicy: Retain` (see `backup_pvc.ts`).
 *
 * @module
 */
import type { DefaultedDatabaseV1 } from "../../database/mod.ts";
import type { KubeObject } from "../../runtime/mod.ts";
import { backupCronJob } from "./backup_cron_job.ts";
import { backupPvc } from "./backup_pvc.ts";
import { configFiles, configHash, configMap } from "./config_map.ts";
import { type CredentialsOptions, credentialsSecret } from "./credentials_secret.ts";
import { objectNames } from "./labels.ts";
import { podDisruptionBudget, wantsPodDisruptionBudget } from "./pod_disruption_budget.ts";
import { clientService, headlessService } from "./services.ts";
import { statefulSet } from "./stateful_set.ts";

/** The operator's inputs to {@linkcode desiredState}. */
export interface DesiredOptions {
  /** Operator-wide mirror prefix (`--image-registry`); optional. */
  readonly registryPrefix?: string;
  /** Password of the existing credentials Secret; when absent the caller passes a new `generatePassword()`. */
  readonly password: string;
  /** Storage of the StatefulSet's claim template when it already exists (templates are immutable); default `spec.storageSize`. */
  readonly claimTemplateStorage?: string;
  /** StatefulSet `rollingUpdate.partition`; default 0. */
  readonly partition?: number;
  /** Rotation annotations and the kept MySQL root password of the credentials Secret. */
  readonly credentials?: CredentialsOptions;
}

/** One owned object that must not exist. */
export interface RemovedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
}

/** What a Database should own right now. */
export interface DesiredState {
  /** Objects to exist, in apply order: Secret, ConfigMap, Services, StatefulSet, PDB?, backup PVC?, CronJob?. */
  readonly apply: KubeObject[];
  /** Owned objects that must not exist now (PDB when replicas <= 1, CronJob without backupSchedule); never the backup PVC. */
  readonly remove: ReadonlyArray<RemovedObject>;
  /** SHA-256 hex of the configuration files (also the pod-template annotation `vigil.dev/config-hash`). */
  readonly configHash: string;
}

/**
 * Computes the desired state of a Database.
 *
 * @throws {TypeError} when the Database has no name, namespace or uid.
 * @throws {QuantityParseError} when a storage or resource quantity is invalid
 *   (the API server's schema prevents it).
 * @example
 * ```ts
 * import { desiredState, generatePassword } from "./mod.ts";
 * const db = {
 *   apiVersion: "vigil.dev/v1" as const,
 *   kind: "Database" as const,
 *   metadata: { name: "shop", namespace: "prod", uid: "5f1c" },
 *   spec: { engine: "postgres" as const, replicas: 1, storageSize: "10Gi", pvcDeletionPolicy: "Retain" as const },
 * };
 * const state = desiredState(db, { password: generatePassword() });
 * state.apply.map((o) => o.kind); // ["Secret", "ConfigMap", "Service", "Service", "StatefulSet"]
 * ```
 */
export function desiredState(db: DefaultedDatabaseV1, options: DesiredOptions): DesiredState {
  const names = objectNames(db);
  const hash = configHash(configFiles(db));
  const apply: KubeObject[] = [
    credentialsSecret(db, options.password, options.credentials),
    configMap(db),
    headlessService(db),
    clientService(db),
    statefulSet(db, {
      configHash: hash,
      registryPrefix: options.registryPrefix,
      claimTemplateStorage: options.claimTemplateStorage,
      partition: options.partition,
      credentialsRotation: options.credentials?.rotationToken,
    }),
  ];
  const remove: RemovedObject[] = [];
  if (wantsPodDisruptionBudget(db)) apply.push(podDisruptionBudget(db));
  else remove.push({ apiVersion: "policy/v1", kind: "PodDisruptionBudget", name: names.pdb });
  if (db.spec.backupSchedule !== undefined) {
    apply.push(backupPvc(db), backupCronJob(db, options.registryPrefix));
  } else {
    remove.push({ apiVersion: "batch/v1", kind: "CronJob", name: names.cronJob });
  }
  return { apply, remove, configHash: hash };
}
