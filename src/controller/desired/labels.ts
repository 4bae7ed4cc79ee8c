/**
 * Names, labels and the owner reference every object Vigil owns for a Database carries.
 *
 * ## Guarantees
 * - Everything here is a function of the Database's name, namespace, uid and
 *   engine — fields that never change — so labels, selectors and names are
 *   stable for the Database's whole life (a StatefulSet's selector is immutable).
 * - {@linkcode selectorLabels} is a subset of `ownedLabels(db, "database")`, and
 *   no other component's labels match it (backup pods are not selected by the
 *   Services or the PodDisruptionBudget).
 *
 * @module
 */
import { type DefaultedDatabaseV1, V1 } from "../../database/mod.ts";
import type { ObjectMeta, OwnerReference } from "../../runtime/mod.ts";
import { identityOf } from "./_identity.ts";

/** Value of `app.kubernetes.io/managed-by` on everything Vigil owns. */
export const MANAGED_BY = "vigil";

/**
 * Label selector matching every object Vigil owns: the objects it applies, and
 * the PVCs and pods Kubernetes creates from its templates (they inherit the labels).
 */
export const MANAGED_BY_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY}`;

/** Component of the StatefulSet, its pods and PVCs, the Services and the PodDisruptionBudget. */
export const DATABASE_COMPONENT = "database";

/** The names of the objects owned by one Database. */
export interface ObjectNames {
  /** Secret `<name>-credentials`. */
  readonly credentials: string;
  /** ConfigMap `<name>-config`. */
  readonly config: string;
  /** Headless Service `<name>-headless` (the StatefulSet's `serviceName`). */
  readonly headless: string;
  /** Client Service `<name>`. */
  readonly client: string;
  /** StatefulSet `<name>`. */
  readonly statefulSet: string;
  /** PodDisruptionBudget `<name>`. */
  readonly pdb: string;
  /** Backup CronJob `<name>-backup`. */
  readonly cronJob: string;
  /** Backup PersistentVolumeClaim `<name>-backup`. */
  readonly backupPvc: string;
}

/**
 * Returns the names of the objects a Database owns.
 *
 * @throws {TypeError} when the Database has no name or namespace.
 * @example
 * ```ts
 * import { objectNames } from "./labels.ts";
 * const db = { apiVersion: "vigil.dev/v1", kind: "Database", metadata: { name: "shop", namespace: "a" } };
 * objectNames(db as never).credentials; // "shop-credentials"
 * ```
 */
export function objectNames(db: DefaultedDatabaseV1): ObjectNames {
  const { name } = identityOf(db);
  return {
    credentials: `${name}-credentials`,
    config: `${name}-config`,
    headless: `${name}-headless`,
    client: name,
    statefulSet: name,
    pdb: name,
    cronJob: `${name}-backup`,
    backupPvc: `${name}-backup`,
  };
}

/**
 * The StatefulSet's selector: the database pods of this Database, and nothing
 * else (not its backup pods, not another Database's pods).
 */
export function selectorLabels(db: DefaultedDatabaseV1): Record<string, string> {
  const { name } = identityOf(db);
  return {
    "app.kubernetes.io/name": db.spec.engine,
    "app.kubernetes.io/instance": name,
    "app.kubernetes.io/component": DATABASE_COMPONENT,
  };
}

/**
 * The labels of an owned object: `app.kubernetes.io/name` (the engine),
 * `instance` (the Database's name), `component` and `managed-by=vigil`.
 */
export function ownedLabels(db: DefaultedDatabaseV1, component: string): Record<string, string> {
  const { name } = identityOf(db);
  return {
    "app.kubernetes.io/name": db.spec.engine,
    "app.kubernetes.io/instance": name,
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/managed-by": MANAGED_BY,
  };
}

/**
 * The controller owner reference to the Database (`controller: true`,
 * `blockOwnerDeletion: true`), so that garbage collection follows it and
 * owned-object events map back to it.
 *
 * @throws {TypeError} when the Database has no name, namespace or uid.
 */
export function ownerReference(db: DefaultedDatabaseV1): OwnerReference {
  const { name } = identityOf(db);
  const uid = db.metadata?.uid;
  if (!uid) {
    throw new TypeError(`Cannot build desired state: Database "${name}" has no metadata.uid`);
  }
  return {
    apiVersion: V1,
    kind: "Database",
    name,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The metadata of an owned object: name, namespace, labels and the owner reference. */
export function ownedMetadata(
  db: DefaultedDatabaseV1,
  name: string,
  component: string,
): ObjectMeta & { name: string; namespace: string } {
  return {
    name,
    namespace: identityOf(db).namespace,
    labels: ownedLabels(db, component),
    ownerReferences: [ownerReference(db)],
  };
}
