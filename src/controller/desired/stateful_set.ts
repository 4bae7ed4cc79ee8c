/**
 * The StatefulSet `<name>`: the database pods, their volumes and how they roll.
 *
 * ## Choices
 * - `podManagementPolicy: Parallel` (immutable, so fixed here): the replicas
 *   are independent servers, so scaling starts or stops them together instead
 *   of waiting for each in turn, and one broken pod does not block scaling.
 *   Rolling updates are unaffected: `RollingUpdate` always replaces one pod at a
 *   time, highest ordinal first, waiting for Ready; `partition` lets the
 *   reconciler hold a rollout.
 * - Spread: a *preferred* pod anti-affinity on `kubernetes.io/hostname`,
 *   emitted whatever `replicas` is. With one replica it has nothing to avoid,
 *   and keeping it constant means scaling never changes the pod template
 *   (which would restart every pod).
 * - `persistentVolumeClaimRetentionPolicy` from `pvcDeletionPolicy`: `Retain`
 *   keeps the claims on deletion and scale-down; `Delete` lets Kubernetes delete
 *   them with the StatefulSet, but still keeps them on scale-down, so scaling
 *   back up finds the data.
 * - The claim template `data` asks for `claimTemplateStorage` when the
 *   StatefulSet exists (templates are immutable; growth is done on the PVCs),
 *   else `spec.storageSize`. It carries the owned labels, so every PVC made
 *   from it matches `MANAGED_BY_SELECTOR`.
 * - No service-account token (the database never calls the API) and no service
 *   links (a Service named like an engine would inject `POSTGRES_PORT`-style
 *   variables into the container).
 *
 * @module
 */
import type { DefaultedDatabaseV1 } from "../../database/mod.ts";
import type { KubeObject, ObjectMeta } from "../../runtime/mod.ts";
import { canonicalQuantity } from "./canonical_quantity.ts";
import { CONFIG_HASH_ANNOTATION } from "./config_map.ts";
import { databaseContainer, TERMINATION_GRACE_PERIOD_SECONDS } from "./database_container.ts";
import {
  DATABASE_COMPONENT,
  objectNames,
  ownedLabels,
  ownedMetadata,
  selectorLabels,
} from "./labels.ts";
import { podSecurityContext } from "./pod_security.ts";

/** Name of the data claim template (PVCs are `data-<name>-<ordinal>`). */
export const DATA_CLAIM_TEMPLATE = "data";

/** Inputs of {@linkcode statefulSet} besides the Database. */
export interface StatefulSetOptions {
  /** The config hash for the pod-template annotation. */
  readonly configHash: string;
  /** Operator-wide image mirror prefix. */
  readonly registryPrefix?: string | undefined;
  /** Storage of the existing claim template; default `spec.storageSize`. */
  readonly claimTemplateStorage?: string | undefined;
  /** `rollingUpdate.partition`; default 0. */
  readonly partition?: number | undefined;
  /**
   * The credentials rotation the pods run with: the pod-template annotation
   * {@linkcode CREDENTIALS_ROTATION_ANNOTATION}, so a rotated Secret rolls the
   * pods (env from a Secret is read at container start). None before the first rotation.
   */
  readonly credentialsRotation?: string | undefined;
}

/** Pod-template annotation naming the credentials rotation the pods were started with. */
export const CREDENTIALS_ROTATION_ANNOTATION = "vigil.dev/credentials-rotation";

/** A StatefulSet as Vigil writes it. */
export interface StatefulSetObject extends KubeObject {
  apiVersion: "apps/v1";
  kind: "StatefulSet";
  metadata: ObjectMeta;
  spec: Record<string, unknown>;
}

type Json = Record<string, unknown>;

function retentionPolicy(db: DefaultedDatabaseV1): Json {
  return db.spec.pvcDeletionPolicy === "Delete"
    ? { whenDeleted: "Delete", whenScaled: "Retain" }
    : { whenDeleted: "Retain", whenScaled: "Retain" };
}

function claimTemplate(db: DefaultedDatabaseV1, storage: string): Json {
  const spec: Json = {
    accessModes: ["ReadWriteOnce"],
    resources: { requests: { storage: canonicalQuantity(storage) } },
  };
  if (db.spec.storageClassName !== undefined) spec.storageClassName = db.spec.storageClassName;
  return {
    metadata: { name: DATA_CLAIM_TEMPLATE, labels: ownedLabels(db, DATABASE_COMPONENT) },
    spec,
  };
}

function spreadAffinity(db: DefaultedDatabaseV1): Json {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [{
        weight: 100,
        podAffinityTerm: {
          labelSelector: { matchLabels: selectorLabels(db) },
          topologyKey: "kubernetes.io/hostname",
        },
      }],
    },
  };
}

/**
 * Builds the StatefulSet.
 *
 * @throws {TypeError} when the Database has no name, namespace or uid.
 * @throws {QuantityParseError} when a storage or resource quantity is invalid.
 */
export function statefulSet(
  db: DefaultedDatabaseV1,
  options: StatefulSetOptions,
): StatefulSetObject {
  const names = objectNames(db);
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: ownedMetadata(db, names.statefulSet, DATABASE_COMPONENT),
    spec: {
      replicas: db.spec.replicas,
      selector: { matchLabels: selectorLabels(db) },
      serviceName: names.headless,
      podManagementPolicy: "Parallel",
      updateStrategy: {
        type: "RollingUpdate",
        rollingUpdate: { partition: options.partition ?? 0 },
      },
      persistentVolumeClaimRetentionPolicy: retentionPolicy(db),
      template: {
        metadata: {
          labels: ownedLabels(db, DATABASE_COMPONENT),
          annotations: {
            [CONFIG_HASH_ANNOTATION]: options.configHash,
            ...(options.credentialsRotation === undefined
              ? {}
              : { [CREDENTIALS_ROTATION_ANNOTATION]: options.credentialsRotation }),
          },
        },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: TERMINATION_GRACE_PERIOD_SECONDS,
          securityContext: podSecurityContext(),
          affinity: spreadAffinity(db),
          containers: [databaseContainer(db, options.registryPrefix)],
          volumes: [
            { name: "config", configMap: { name: names.config, defaultMode: 0o644 } },
            { name: "run", emptyDir: {} },
            { name: "tmp", emptyDir: {} },
          ],
        },
      },
      volumeClaimTemplates: [
        claimTemplate(db, options.claimTemplateStorage ?? db.spec.storageSize),
      ],
    },
  };
}
