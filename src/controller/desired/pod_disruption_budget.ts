/**
 * The PodDisruptionBudget `<name>`: at most one database pod voluntarily
 * evicted at a time (node drains, cluster upgrades), only while `replicas > 1`
 * — with a single replica a budget would only block drains forever.
 *
 * `unhealthyPodEvictionPolicy: AlwaysAllow` lets a drain evict a pod that is
 * not Ready anyway (crash-looping, stuck), so a broken replica never blocks a
 * node drain while the healthy ones stay protected.
 *
 * @module
 */
import type { DefaultedDatabaseV1 } from "../../database/mod.ts";
import type { KubeObject, ObjectMeta } from "../../runtime/mod.ts";
import { DATABASE_COMPONENT, objectNames, ownedMetadata, selectorLabels } from "./labels.ts";

/** A PodDisruptionBudget as Vigil writes it. */
export interface PodDisruptionBudgetObject extends KubeObject {
  apiVersion: "policy/v1";
  kind: "PodDisruptionBudget";
  metadata: ObjectMeta;
  spec: {
    maxUnavailable: number;
    selector: { matchLabels: Record<string, string> };
    unhealthyPodEvictionPolicy: "AlwaysAllow";
  };
}

/** True when the Database should have a PodDisruptionBudget (more than one replica). */
export function wantsPodDisruptionBudget(db: DefaultedDatabaseV1): boolean {
  return db.spec.replicas > 1;
}

/**
 * Builds the PodDisruptionBudget (whether it should exist is
 * {@linkcode wantsPodDisruptionBudget}).
 *
 * @throws {TypeError} when the Database has no name, namespace or uid.
 */
export function podDisruptionBudget(db: DefaultedDatabaseV1): PodDisruptionBudgetObject {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: ownedMetadata(db, objectNames(db).pdb, DATABASE_COMPONENT),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: selectorLabels(db) },
      unhealthyPodEvictionPolicy: "AlwaysAllow",
    },
  };
}
