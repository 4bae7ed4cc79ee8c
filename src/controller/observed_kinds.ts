/**
 * The fields of live objects the reconciler reads (StatefulSet, PVC, Pod),
 * as narrow structural types over what the informer caches hold.
 *
 * @module
 */
import type { KubeObject } from "../runtime/mod.ts";
import type { RolloutPod, RolloutStatefulSet } from "./rollout_step.ts";

/** What the reconciler reads of a live StatefulSet. */
export interface LiveStatefulSet extends KubeObject {
  readonly spec?: {
    readonly replicas?: number;
    readonly updateStrategy?: { readonly rollingUpdate?: { readonly partition?: number } };
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
  readonly spec?: {
    readonly resources?: { readonly requests?: Record<string, string> };
    readonly storageClassName?: string;
  };
  readonly status?: {
    readonly phase?: string;
    readonly capacity?: Readonly<Record<string, string>>;
  };
}

/** What the reconciler reads of a live Pod. */
export interface LivePod extends KubeObject {
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: ReadonlyArray<{
      readonly type?: string;
      readonly status?: string;
      readonly lastTransitionTime?: string;
    }>;
    readonly containerStatuses?: ReadonlyArray<{
      readonly name?: string;
      readonly ready?: boolean;
      readonly state?: {
        readonly waiting?: { readonly reason?: string };
        readonly terminated?: { readonly reason?: string; readonly exitCode?: number };
      };
      readonly lastState?: {
        readonly terminated?: { readonly reason?: string; readonly exitCode?: number };
      };
    }>;
  };
}

/** What the reconciler reads of a live Job (the backup CronJob's runs). */
export interface LiveJob extends KubeObject {
  readonly status?: {
    readonly startTime?: string;
    readonly completionTime?: string;
    readonly conditions?: ReadonlyArray<{
      readonly type?: string;
      readonly status?: string;
      readonly lastTransitionTime?: string;
      readonly reason?: string;
      readonly message?: string;
    }>;
  };
}

/** The StatefulSet label on each pod naming its revision. */
export const REVISION_LABEL = "controller-revision-hash";

/** A StatefulSet as {@link nextRolloutStep} reads it. */
export function rolloutStatefulSet(sts: LiveStatefulSet): RolloutStatefulSet {
  return {
    partition: sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0,
    generation: sts.metadata?.generation ?? 0,
    observedGeneration: sts.status?.observedGeneration ?? 0,
    updateRevision: sts.status?.updateRevision,
    currentRevision: sts.status?.currentRevision,
    terminating: sts.metadata?.deletionTimestamp !== undefined,
  };
}

/**
 * A pod of StatefulSet `stsName` as {@link nextRolloutStep} reads it;
 * undefined when its name is not `<stsName>-<ordinal>`.
 */
export function rolloutPod(pod: LivePod, stsName: string): RolloutPod | undefined {
  const name = pod.metadata?.name ?? "";
  if (!name.startsWith(`${stsName}-`)) return undefined;
  const suffix = name.slice(stsName.length + 1);
  if (!/^(0|[1-9][0-9]*)$/.test(suffix)) return undefined;
  const readyCondition = pod.status?.conditions?.find((c) => c.type === "Ready");
  const ready = readyCondition?.status === "True";
  const created = Date.parse(String(pod.metadata?.creationTimestamp ?? ""));
  const transition = Date.parse(readyCondition?.lastTransitionTime ?? "");
  const since = Math.max(
    Number.isNaN(created) ? 0 : created,
    !ready && !Number.isNaN(transition) ? transition : 0,
  );
  return {
    name,
    uid: pod.metadata?.uid ?? "",
    ordinal: Number(suffix),
    revision: pod.metadata?.labels?.[REVISION_LABEL],
    ready,
    terminating: pod.metadata?.deletionTimestamp !== undefined,
    notReadySinceMs: since,
    waitingReason: ready ? undefined : containerTrouble(pod),
  };
}

/** The first reason a container of the pod gives for not running, if any. */
function containerTrouble(pod: LivePod): string | undefined {
  for (const c of pod.status?.containerStatuses ?? []) {
    const waiting = c.state?.waiting?.reason;
    if (waiting !== undefined && waiting !== "" && waiting !== "ContainerCreating") return waiting;
    const terminated = c.state?.terminated ?? c.lastState?.terminated;
    if (terminated?.reason !== undefined && terminated.reason !== "Completed") {
      return `${terminated.reason} (exit code ${terminated.exitCode ?? "?"})`;
    }
  }
  return undefined;
}

/** Storage requested by a StatefulSet's claim template named `data`, if any. */
export function claimTemplateStorage(sts: LiveStatefulSet | undefined): string | undefined {
  const template = sts?.spec?.volumeClaimTemplates?.find((t) => t.metadata?.name === "data");
  return template?.spec?.resources?.requests?.storage;
}
