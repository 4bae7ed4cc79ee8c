/**
 * Maps watched objects to the requests to reconcile (controller-runtime
 * `pkg/handler`): the object itself, or its controlling owner.
 *
 * @module
 */
import type { Request } from "./reconcile.ts";
import { controllerOf, groupOf, type KubeObject } from "./resource.ts";

/** Maps one object to zero or more requests. */
export type MapFunc<T> = (obj: T) => readonly Request[];

/** Enqueues the object itself (`EnqueueRequestForObject`). */
export function enqueueForObject<T extends KubeObject>(obj: T): readonly Request[] {
  const name = obj.metadata?.name;
  if (name === undefined) return [];
  const ns = obj.metadata?.namespace;
  return [ns === undefined || ns === "" ? { name } : { namespace: ns, name }];
}

/** Which owner kind {@link enqueueForOwner} looks for. */
export interface OwnerType {
  /** API group of the owner (`""` for core); its version does not matter. */
  readonly group: string;
  readonly kind: string;
}

/**
 * Enqueues the controlling owner (`ownerReferences[].controller: true`) when
 * it has the given group and kind (`EnqueueRequestForOwner` with
 * `OnlyControllerOwner`). Owners live in the object's namespace.
 */
export function enqueueForOwner<T extends KubeObject>(owner: OwnerType): MapFunc<T> {
  return (obj) => {
    const ref = controllerOf(obj);
    if (ref === undefined || ref.kind !== owner.kind || groupOf(ref.apiVersion) !== owner.group) {
      return [];
    }
    const ns = obj.metadata?.namespace;
    return [ns === undefined || ns === "" ? { name: ref.name } : { namespace: ns, name: ref.name }];
  };
}
