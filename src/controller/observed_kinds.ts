/**
 * The fields of live objects the reconciler reads (StatefulSet, PVC, Pod),
 * as narrow structural types over what the informer caches hold.
 *
 * @module
 */
import type { KubeObject } from "../runtime/mod.ts";

/** What the reconciler reads of a live StatefulSet. */
export interface LiveStatefulSet extends KubeObject {
  readonly spec?: {
    readonly replicas?: number;
    readonly template?: {
      readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> };
      readonly spec?: {
        readonly containers?: ReadonlyArray<{ readonly name?: string; readonly image?: string }>;
      };
    };
    readonly volumeClaimTemplates?: ReadonlyArray<{
      readonly metadata?: { readonly name?: string };
      readonly spec?: { readonly resources?: { readonly requests?: Record<string, string> } };
    }>;
  };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly replicas?: number;
    readonly readyReplicas?: number;
    readonly availableReplicas?: number;
    readonly updatedReplicas?: number;
    readonly currentRevision?: string;
    readonly updateRevision?: string;
  };
}

/** What the reconciler reads of a live PersistentVolumeClaim. */
export interface LivePersistentVolumeClaim extends KubeObject {
  readonly spec?: { readonly resources?: { readonly requests?: Record<string, string> } };
  readonly status?: {
    readonly phase?: string;
    readonly capacity?: Readonly<Record<string, string>>;
  };
}

/** Storage requested by a StatefulSet's claim template named `data`, if any. */
export function claimTemplateStorage(sts: LiveStatefulSet | undefined): string | undefined {
  const template = sts?.spec?.volumeClaimTemplates?.find((t) => t.metadata?.name === "data");
  return template?.spec?.resources?.requests?.storage;
}
