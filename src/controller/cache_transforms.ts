/**
 * What the caches keep of the kinds Vigil only reads: a pod's spec (about a
 * third of what is cached per Database) and a Job's pod template are never
 * read, so they are dropped before caching, with `managedFields`, as
 * controller-runtime's `TransformStripManagedFields` and cache `ByObject`
 * transforms do. What stays is exactly what `observed_kinds.ts` declares.
 *
 * @module
 */
import { type KubeObject, withoutManagedFields } from "../runtime/mod.ts";
import type { LiveJob, LivePod } from "./observed_kinds.ts";

/** A pod as the reconciler reads it: metadata, phase, Ready and container states. */
export function slimPod(obj: KubeObject): KubeObject {
  const status = (obj as LivePod).status;
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: withoutManagedFields(obj).metadata,
    ...(status === undefined ? {} : {
      status: {
        ...(status.phase === undefined ? {} : { phase: status.phase }),
        ...(status.conditions === undefined ? {} : {
          conditions: status.conditions.map((c) => ({
            type: c.type,
            status: c.status,
            lastTransitionTime: c.lastTransitionTime,
          })),
        }),
        ...(status.containerStatuses === undefined ? {} : {
          containerStatuses: status.containerStatuses.map((c) => ({
            name: c.name,
            ready: c.ready,
            ...(c.state === undefined ? {} : { state: c.state }),
            ...(c.lastState === undefined ? {} : { lastState: c.lastState }),
          })),
        }),
      },
    }),
  } as KubeObject;
}

/** A Job as the reconciler reads it: metadata and status, no pod template. */
export function slimJob(obj: KubeObject): KubeObject {
  const status = (obj as LiveJob).status;
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: withoutManagedFields(obj).metadata,
    ...(status === undefined ? {} : { status }),
  } as KubeObject;
}

/** The cache transform of each owned kind that has one (others strip `managedFields` only). */
export const CACHE_TRANSFORMS: Readonly<Record<string, (obj: KubeObject) => KubeObject>> = {
  Pod: slimPod,
  Job: slimJob,
};
