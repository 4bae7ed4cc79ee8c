/**
 * The plan for growing a Database's data volumes, as a pure decision from
 * the observed PVCs, the StatefulSet's claim template and the StorageClasses.
 *
 * ## Choices
 * - Each existing PVC's request is patched to `spec.storageSize`: a claim
 *   template is immutable, so the StatefulSet never resizes anything itself.
 * - The claim template is kept in step by deleting the StatefulSet with
 *   `propagationPolicy: Orphan` and letting the next apply recreate it with
 *   the new size, as Zalando's postgres-operator and other StatefulSet-based
 *   operators do: the pods keep running (the new StatefulSet adopts them, and
 *   an unchanged pod template has the same revision, so nothing restarts), and
 *   a replica added later gets a claim of the new size. It is done only when
 *   no rollout is under way (a recreated StatefulSet starts at partition 0)
 *   and every PVC request has been accepted — never for a class that cannot
 *   expand, where old and new replicas would end up with different sizes.
 * - A claim not bound yet is left alone until it is: the API server refuses
 *   any change to an unbound claim's spec (422, "spec is immutable after
 *   creation except resources.requests … for bound claims"), which is no
 *   sign that its class cannot expand. A replica added while the claim
 *   template was still behind gets such a claim; it is grown once bound, and
 *   the StatefulSet is recreated only after that.
 * - A class that does not allow expansion (`allowVolumeExpansion` not true
 *   in the cache, or the API server answered Forbidden for that PVC and size)
 *   gets no request at all: it is reported, and waits for the spec or the
 *   class to change.
 *
 * @module
 */
import { compareQuantities } from "../database/mod.ts";

/** What the plan reads of one data PVC. */
export interface ResizeClaim {
  readonly name: string;
  readonly request: string | undefined;
  readonly capacity: string | undefined;
  readonly storageClassName: string | undefined;
}

/** Everything {@link resizePlan} decides from. */
export interface ResizeObservation {
  /** `spec.storageSize`. */
  readonly desired: string;
  readonly claims: readonly ResizeClaim[];
  /** Storage of the live StatefulSet's claim template (undefined: no StatefulSet). */
  readonly claimTemplateStorage: string | undefined;
  /** No rollout under way and the StatefulSet is not being deleted. */
  readonly statefulSetIdle: boolean;
  /** `allowVolumeExpansion` of a class; undefined when unknown. */
  readonly allowsExpansion: (className: string) => boolean | undefined;
  /** Whether the API server already refused to grow this claim to `desired`. */
  readonly refused: (claim: string, size: string) => boolean;
}

/** What to do about storage. */
export interface ResizePlan {
  /** Claims whose request must be patched to `desired`. */
  readonly patch: readonly string[];
  /** Smaller claims not bound yet, grown once they are; empty when none. */
  readonly waitingToBind: readonly string[];
  /** Claims that cannot grow, with their class; empty when none. */
  readonly blocked: ReadonlyArray<{ readonly claim: string; readonly className: string }>;
  /** Delete the StatefulSet (orphaning its pods) so that it is recreated with the new claim size. */
  readonly recreateStatefulSet: boolean;
  /** Claims at `desired` in `status.capacity` out of all, while some bound claim is smaller; else undefined. */
  readonly resizing: { readonly done: number; readonly total: number } | undefined;
}

const smaller = (a: string | undefined, b: string) =>
  a === undefined || compareQuantities(a, b) < 0;

/**
 * Plans a storage resize; see the module documentation.
 *
 * @example
 * ```ts
 * import { resizePlan } from "./resize_plan.ts";
 * const plan = resizePlan({
 *   desired: "20Gi",
 *   claims: [{ name: "data-a-0", request: "10Gi", capacity: "10Gi", storageClassName: "standard" }],
 *   claimTemplateStorage: "10Gi",
 *   statefulSetIdle: true,
 *   allowsExpansion: () => true,
 *   refused: () => false,
 * });
 * console.assert(plan.patch[0] === "data-a-0" && !plan.recreateStatefulSet);
 * ```
 */
export function resizePlan(o: ResizeObservation): ResizePlan {
  const patch: string[] = [];
  const waitingToBind: string[] = [];
  const blocked: Array<{ claim: string; className: string }> = [];
  let growing = 0;
  for (const claim of o.claims) {
    const bound = claim.capacity !== undefined;
    // A claim not bound yet (no capacity) is being created: it is behind only
    // when it was created smaller than the desired size.
    if (smaller(bound ? claim.capacity : claim.request, o.desired)) growing++;
    if (!smaller(claim.request, o.desired)) continue;
    if (!bound) {
      waitingToBind.push(claim.name);
      continue;
    }
    const className = claim.storageClassName ?? "";
    if (o.allowsExpansion(className) === false || o.refused(claim.name, o.desired)) {
      blocked.push({ claim: claim.name, className });
    } else {
      patch.push(claim.name);
    }
  }
  const templateBehind = o.claimTemplateStorage !== undefined &&
    smaller(o.claimTemplateStorage, o.desired);
  const total = o.claims.length;
  return {
    patch,
    waitingToBind,
    blocked,
    recreateStatefulSet: templateBehind && o.statefulSetIdle && blocked.length === 0 &&
      patch.length === 0 && waitingToBind.length === 0,
    resizing: growing > 0 && blocked.length === 0 ? { done: total - growing, total } : undefined,
  };
}
