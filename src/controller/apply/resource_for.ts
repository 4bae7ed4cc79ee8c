/**
 * Where each kind Vigil owns lives in the API, looked up by `apiVersion` and
 * `kind` as they appear in a desired object.
 *
 * @module
 */
import { apiVersionOf, type Resource } from "../../runtime/mod.ts";

/** Every kind Vigil creates, updates or deletes for a Database (all namespaced). */
export const OWNED_RESOURCES: readonly Resource[] = Object.freeze([
  { group: "", version: "v1", plural: "secrets", namespaced: true, kind: "Secret" },
  { group: "", version: "v1", plural: "configmaps", namespaced: true, kind: "ConfigMap" },
  { group: "", version: "v1", plural: "services", namespaced: true, kind: "Service" },
  {
    group: "",
    version: "v1",
    plural: "persistentvolumeclaims",
    namespaced: true,
    kind: "PersistentVolumeClaim",
  },
  { group: "", version: "v1", plural: "pods", namespaced: true, kind: "Pod" },
  { group: "apps", version: "v1", plural: "statefulsets", namespaced: true, kind: "StatefulSet" },
  {
    group: "policy",
    version: "v1",
    plural: "poddisruptionbudgets",
    namespaced: true,
    kind: "PodDisruptionBudget",
  },
  { group: "batch", version: "v1", plural: "cronjobs", namespaced: true, kind: "CronJob" },
  { group: "batch", version: "v1", plural: "jobs", namespaced: true, kind: "Job" },
].map((resource) => Object.freeze(resource)));

const BY_TYPE = new Map(
  OWNED_RESOURCES.map((resource) => [`${apiVersionOf(resource)} ${resource.kind}`, resource]),
);

/**
 * The {@link Resource} of an owned kind.
 *
 * @throws {RangeError} when `apiVersion` and `kind` are not one of
 * {@link OWNED_RESOURCES} (the message lists the accepted ones).
 * @example
 * ```ts
 * import { resourceFor } from "./resource_for.ts";
 * console.assert(resourceFor("policy/v1", "PodDisruptionBudget").plural === "poddisruptionbudgets");
 * ```
 */
export function resourceFor(apiVersion: string, kind: string): Resource {
  const resource = BY_TYPE.get(`${apiVersion} ${kind}`);
  if (resource !== undefined) return resource;
  const accepted = OWNED_RESOURCES.map((r) => `${apiVersionOf(r)} ${r.kind}`).join(", ");
  throw new RangeError(
    `Cannot find the resource of ${JSON.stringify(apiVersion)} ${JSON.stringify(kind)}: ` +
      `Vigil owns only ${accepted}`,
  );
}
