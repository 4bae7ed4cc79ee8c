/**
 * Generic resource addressing and the object shape the runtime reads:
 * `{group, version, plural, namespaced}` → API paths, keys, owners. No kind
 * is special here.
 *
 * @module
 */

/** One owner reference of an object. */
export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

/** The metadata fields the runtime reads. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
  deletionTimestamp?: string;
  [field: string]: unknown;
}

/** Any Kubernetes object. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** Where a kind lives in the API. `group` is `""` for the core group. */
export interface Resource {
  readonly group: string;
  readonly version: string;
  /** Lower-case plural, as in the URL (`configmaps`). */
  readonly plural: string;
  readonly namespaced: boolean;
  /** The kind (`ConfigMap`); filled into list items that lack it. */
  readonly kind?: string;
}

/** `v1` or `apps/v1`. */
export function apiVersionOf(resource: Pick<Resource, "group" | "version">): string {
  return resource.group === "" ? resource.version : `${resource.group}/${resource.version}`;
}

/**
 * The collection path of a resource, or of one object when `name` is given.
 *
 * @example
 * ```ts
 * import { resourcePath } from "./resource.ts";
 * const cm = { group: "", version: "v1", plural: "configmaps", namespaced: true };
 * console.assert(resourcePath(cm, { namespace: "a" }) === "/api/v1/namespaces/a/configmaps");
 * ```
 */
export function resourcePath(
  resource: Resource,
  options: { readonly namespace?: string; readonly name?: string } = {},
): string {
  const base = resource.group === ""
    ? `/api/${resource.version}`
    : `/apis/${resource.group}/${resource.version}`;
  const ns = resource.namespaced && options.namespace !== undefined
    ? `/namespaces/${encodeURIComponent(options.namespace)}`
    : "";
  const name = options.name === undefined ? "" : `/${encodeURIComponent(options.name)}`;
  return `${base}${ns}/${resource.plural}${name}`;
}

/** The cache key: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? "";
  return ns === undefined || ns === "" ? name : `${ns}/${name}`;
}

/** Splits a key made by {@link objectKey}. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf("/");
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The owner reference with `controller: true`, if any. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((ref) => ref.controller === true);
}

/** The group of an `apiVersion` (`""` for `v1`). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}
