/**
 * The finalizer's ordered cleanup as a pure "next step" decision from what
 * the caches hold: CronJob, then Services and PDB, then the StatefulSet,
 * then wait for its pods to go, then ConfigMap and Secret, then — only with
 * `pvcDeletionPolicy: Delete` — the PVCs (data claims and the backup claim).
 *
 * @module
 */
import type { DefaultedDatabaseV1 } from "../database/mod.ts";
import type { KubeObject } from "../runtime/mod.ts";

/** The objects of one kind that belong to the Database being cleaned up. */
export type OwnedIndex = (kind: string) => readonly KubeObject[];

/** What cleanup does next. */
export type CleanupStep =
  | { readonly type: "delete"; readonly objects: readonly KubeObject[]; readonly what: string }
  | { readonly type: "wait"; readonly what: string }
  | { readonly type: "done" };

const STAGES: ReadonlyArray<readonly string[]> = [
  ["CronJob"],
  ["Service", "PodDisruptionBudget"],
  ["StatefulSet"],
];

/** The next cleanup step; `done` once nothing of the Database is left to remove. */
export function cleanupStep(db: DefaultedDatabaseV1, owned: OwnedIndex): CleanupStep {
  const pending = (objs: readonly KubeObject[]) =>
    objs.filter((o) => o.metadata?.deletionTimestamp === undefined);
  for (const kinds of STAGES) {
    const objects = kinds.flatMap((k) => [...owned(k)]);
    const toDelete = pending(objects);
    if (toDelete.length > 0) return { type: "delete", objects: toDelete, what: describe(toDelete) };
    if (objects.length > 0) return { type: "wait", what: `${describe(objects)} being deleted` };
  }
  const pods = owned("Pod");
  if (pods.length > 0) return { type: "wait", what: `${pods.length} pod(s) terminating` };
  const rest = pending([...owned("ConfigMap"), ...owned("Secret")]);
  if (rest.length > 0) return { type: "delete", objects: rest, what: describe(rest) };
  if (db.spec.pvcDeletionPolicy === "Delete") {
    const claims = pending(owned("PersistentVolumeClaim"));
    if (claims.length > 0) return { type: "delete", objects: claims, what: describe(claims) };
  }
  return { type: "done" };
}

function describe(objects: readonly KubeObject[]): string {
  return objects.map((o) => `${o.kind} ${o.metadata?.name}`).join(", ");
}
