/**
 * The cache index that files each owned object under the Database it belongs
 * to, so a reconcile reads that Database's pods, claims and jobs without
 * scanning every object of its namespace (controller-runtime's field
 * indexer, keyed on the `app.kubernetes.io/instance` label that every owned
 * object, pod and claim carries).
 *
 * @module
 */
import type { Indexers, IndexFunc, KubeObject } from "../runtime/mod.ts";

/** Name of the index on every owned-kind cache. */
export const INSTANCE_INDEX = "instance";

const INSTANCE_LABEL = "app.kubernetes.io/instance";

/** Files an object under `<namespace>/<its app.kubernetes.io/instance label>`. */
export const indexByInstance: IndexFunc<KubeObject> = (obj) => {
  const instance = obj.metadata?.labels?.[INSTANCE_LABEL];
  return instance === undefined ? [] : [instanceKey(obj.metadata?.namespace ?? "", instance)];
};

/** The index value of the objects of Database `name` in `namespace`. */
export function instanceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The extra indexes every owned-kind cache carries. */
export const OWNED_INDEXERS: Indexers<KubeObject> = { [INSTANCE_INDEX]: indexByInstance };
