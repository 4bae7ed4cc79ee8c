/**
 * The backup PersistentVolumeClaim `<name>-backup`, where the backup CronJob
 * writes its dumps: one ReadWriteOnce volume of `spec.storageSize`, in the
 * Database's StorageClass.
 *
 * ## Lifetime
 * Created with the first `backupSchedule` and never listed for removal:
 * backups outlive the schedule that made them. It is owned by the Database
 * (and so garbage-collected with it) only when `pvcDeletionPolicy` is
 * `Delete`; under `Retain` it carries Vigil's labels but no owner reference,
 * so deleting the Database keeps its backups along with its data — the case
 * where they matter most.
 *
 * @module
 */
import type { DefaultedDatabaseV1 } from "../../database/mod.ts";
import type { KubeObject, ObjectMeta } from "../../runtime/mod.ts";
import { canonicalQuantity } from "./canonical_quantity.ts";
import { objectNames, ownedMetadata } from "./labels.ts";

/** Component label of the backup CronJob, its pods and the backup PVC. */
export const BACKUP_COMPONENT = "backup";

/** A PersistentVolumeClaim as Vigil writes it. */
export interface PersistentVolumeClaimObject extends KubeObject {
  apiVersion: "v1";
  kind: "PersistentVolumeClaim";
  metadata: ObjectMeta;
  spec: {
    accessModes: ["ReadWriteOnce"];
    resources: { requests: { storage: string } };
    storageClassName?: string;
  };
}

/**
 * Builds the backup PVC.
 *
 * @throws {TypeError} when the Database has no name, namespace or uid.
 * @throws {QuantityParseError} when `spec.storageSize` is not a quantity.
 */
export function backupPvc(db: DefaultedDatabaseV1): PersistentVolumeClaimObject {
  const { ownerReferences, ...metadata } = ownedMetadata(
    db,
    objectNames(db).backupPvc,
    BACKUP_COMPONENT,
  );
  const spec: PersistentVolumeClaimObject["spec"] = {
    accessModes: ["ReadWriteOnce"],
    resources: { requests: { storage: canonicalQuantity(db.spec.storageSize) } },
  };
  if (db.spec.storageClassName !== undefined) spec.storageClassName = db.spec.storageClassName;
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: db.spec.pvcDeletionPolicy === "Delete" ? { ...metadata, ownerReferences } : metadata,
    spec,
  };
}
