/**
 * The next step of a rolling update of a Database's StatefulSet, as a pure
 * decision from what is observed: the StatefulSet's partition and revisions,
 * and its pods. The reconciler does the I/O the step asks for.
 *
 * ## How a rollout goes
 * A new pod template (version, config hash, image, resources…) is applied
 * together with `rollingUpdate.partition = replicas - 1`, so the StatefulSet
 * controller replaces only the highest ordinal. Once every pod at or above the
 * partition runs the update revision and is Ready, the partition is lowered to
 * the next ordinal — only when every other replica is Ready, so that never
 * more than one replica is unavailable. At partition 0 with every pod updated
 * and Ready the rollout is complete.
 *
 * ## Guarantees
 * - The whole state lives in the cluster: the partition and template of the
 *   StatefulSet, its `updateRevision`/`currentRevision`, and each pod's
 *   `controller-revision-hash`. A new leader computes the same step.
 * - A pod on the update revision that is not Ready within `readyTimeoutMs` of
 *   its start stops the rollout (`stuck`): the partition stays where it is, so
 *   the lower ordinals keep the old revision, and nothing is retried until the
 *   observation changes.
 * - A pod inside the partition that is on an older revision and not Ready is
 *   deleted (`replace`) so that the StatefulSet controller recreates it on the
 *   update revision. This is how a rollback reaches a broken pod: the
 *   StatefulSet controller waits for a broken pod to become Ready before it
 *   touches it (kubernetes/kubernetes#67250).
 * - Pods at ordinals `>= replicas` (being scaled away) are ignored.
 *
 * @module
 */

/** What the rollout reads of one pod of the StatefulSet. */
export interface RolloutPod {
  readonly name: string;
  readonly uid: string;
  readonly ordinal: number;
  /** The `controller-revision-hash` label. */
  readonly revision: string | undefined;
  readonly ready: boolean;
  /** Has a `deletionTimestamp`. */
  readonly terminating: boolean;
  /** Since when the pod has not been Ready (epoch ms): its Ready condition's last transition, or its creation. */
  readonly notReadySinceMs: number;
  /** What the kubelet reports of a container that does not run, e.g. `ImagePullBackOff`. */
  readonly waitingReason?: string | undefined;
}

/** What the rollout reads of the live StatefulSet. */
export interface RolloutStatefulSet {
  readonly partition: number;
  readonly generation: number;
  readonly observedGeneration: number;
  readonly updateRevision: string | undefined;
  readonly currentRevision: string | undefined;
  /** Has a `deletionTimestamp` (being recreated). */
  readonly terminating: boolean;
}

/** Everything {@link nextRolloutStep} decides from. */
export interface RolloutObservation {
  /** `spec.replicas` of the Database. */
  readonly replicas: number;
  /** The live StatefulSet; undefined when it does not exist yet. */
  readonly statefulSet: RolloutStatefulSet | undefined;
  /** Whether the desired pod template differs from the live one. */
  readonly templateChanged: boolean;
  readonly pods: readonly RolloutPod[];
  readonly nowMs: number;
  /** How long a replacement pod may take to become Ready. */
  readonly readyTimeoutMs: number;
}

/** Why a rollout stopped. */
export interface RolloutStuck {
  /** The pod that did not become Ready. */
  readonly pod: string;
  /** What was seen: the container's waiting reason, or `not Ready after <duration>`. */
  readonly seen: string;
}

/** The step to take; every step carries the partition the StatefulSet must have. */
export type RolloutStep =
  /** Nothing is rolling: partition 0. */
  | { readonly type: "idle"; readonly partition: number }
  /** A new template starts rolling: apply it with this partition. */
  | { readonly type: "start"; readonly partition: number }
  /** Wait for the StatefulSet controller or a pod; look again after `recheckAfterMs` if given. */
  | {
    readonly type: "wait";
    readonly partition: number;
    readonly waitingFor: string;
    readonly recheckAfterMs?: number;
  }
  /** The replicas at and above the partition are done: lower it. */
  | { readonly type: "advance"; readonly partition: number }
  /** Stopped on a pod that did not become Ready; hold until the spec changes. */
  | { readonly type: "stuck"; readonly partition: number; readonly stuck: RolloutStuck }
  /** Delete this pod (old revision, not Ready) so it is recreated on the update revision. */
  | {
    readonly type: "replace";
    readonly partition: number;
    readonly pod: string;
    readonly uid: string;
  };

/**
 * Decides the next step of a rollout; see the module documentation.
 *
 * @example
 * ```ts
 * import { nextRolloutStep } from "./rollout_step.ts";
 * const step = nextRolloutStep({
 *   replicas: 3,
 *   statefulSet: { partition: 0, generation: 1, observedGeneration: 1, updateRevision: "a", currentRevision: "a", terminating: false },
 *   templateChanged: true,
 *   pods: [],
 *   nowMs: 0,
 *   readyTimeoutMs: 300_000,
 * });
 * console.assert(step.type === "start" && step.partition === 2);
 * ```
 */
export function nextRolloutStep(o: RolloutObservation): RolloutStep {
  const sts = o.statefulSet;
  const top = Math.max(0, o.replicas - 1);
  if (sts === undefined) return { type: "idle", partition: 0 };
  if (o.templateChanged) return { type: "start", partition: top };
  const partition = Math.min(sts.partition, top);
  if (sts.terminating) {
    return {
      type: "wait",
      partition: sts.partition,
      waitingFor: "the StatefulSet to be recreated",
    };
  }
  if (sts.observedGeneration < sts.generation || sts.updateRevision === undefined) {
    return {
      type: "wait",
      partition: sts.partition,
      waitingFor: "the StatefulSet controller to observe the change",
    };
  }
  const byOrdinal = new Map<number, RolloutPod>();
  for (const pod of o.pods) {
    if (pod.ordinal < o.replicas) byOrdinal.set(pod.ordinal, pod);
  }
  const updated = (p: RolloutPod | undefined) =>
    p !== undefined && p.revision === sts.updateRevision;
  const done = (p: RolloutPod | undefined) =>
    p !== undefined && updated(p) && p.ready && !p.terminating;

  // The lowest ordinal from which every replica up to the top is done.
  let frontier = o.replicas;
  while (frontier > 0 && done(byOrdinal.get(frontier - 1))) frontier--;
  if (frontier === 0) return { type: "idle", partition: 0 };

  if (frontier <= partition) {
    // Everything the partition let through is done: the next ordinal may go,
    // unless that would make a second replica unavailable. Replacing a
    // replica that is not Ready anyway costs no availability.
    const next = frontier - 1;
    const nextPod = byOrdinal.get(next);
    if (nextPod !== undefined && nextPod.ready && !nextPod.terminating) {
      for (let i = 0; i < o.replicas; i++) {
        const pod = byOrdinal.get(i);
        if (i !== next && (pod === undefined || !pod.ready || pod.terminating)) {
          return {
            type: "wait",
            partition,
            waitingFor: `${pod?.name ?? `replica ${i}`} to be Ready before ${nextPod.name} rolls`,
          };
        }
      }
    }
    return { type: "advance", partition: next };
  }

  // The highest replica inside the partition that is not done yet.
  const target = frontier - 1;
  const pod = byOrdinal.get(target);
  // Clamped: after a scale-down below the partition, the remaining replicas roll.
  const held = { partition };
  if (pod === undefined || pod.terminating) {
    return { type: "wait", ...held, waitingFor: `replica ${target} to be recreated` };
  }
  if (!updated(pod)) {
    if (!pod.ready) return { type: "replace", ...held, pod: pod.name, uid: pod.uid };
    return { type: "wait", ...held, waitingFor: `${pod.name} to be replaced` };
  }
  // Updated, not Ready. Only a rollout has a deadline: a replica that fails in
  // steady state is the status's concern, not the rollout's.
  const rolling = sts.currentRevision !== sts.updateRevision;
  const deadline = pod.notReadySinceMs + o.readyTimeoutMs;
  if (rolling && o.nowMs >= deadline) {
    return {
      type: "stuck",
      ...held,
      stuck: {
        pod: pod.name,
        seen: pod.waitingReason ?? `not Ready after ${formatDuration(o.readyTimeoutMs)}`,
      },
    };
  }
  return {
    type: "wait",
    ...held,
    waitingFor: `${pod.name} to be Ready`,
    ...(rolling ? { recheckAfterMs: deadline - o.nowMs } : {}),
  };
}

/** `300000` → `5m`, `90000` → `1m30s`, `1500` → `1.5s`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(3))}s`;
  const minutes = Math.floor(ms / 60_000);
  const rest = ms - minutes * 60_000;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${h > 0 ? `${h}h` : ""}${m > 0 ? `${m}m` : ""}${rest > 0 ? formatDuration(rest) : ""}`;
}
