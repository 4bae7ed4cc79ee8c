/**
 * Whether a live object already carries everything a desired object says,
 * so that the reconciler can skip the server-side apply altogether (an idle
 * cluster sees zero writes) and still notice drift (a field Vigil sets that
 * someone changed).
 *
 * ## Semantics
 * - **Applied hash.** The live object's {@link APPLIED_HASH_ANNOTATION} must
 *   equal the desired one's (or {@link appliedHash} of `desired` when it has
 *   none). This catches what a subset test cannot: a field Vigil stopped
 *   setting, which the next apply then removes.
 * - **Subset.** Every field of `desired` must be in `live` with an equal
 *   value; extra fields in `live` (apiserver defaults, `status`, other field
 *   managers' labels and annotations) never cause a mismatch.
 * - **Scalars** compare with `===`, except quantities under
 *   `resources.{requests,limits}`, `overhead` and `sizeLimit`, which compare
 *   by value (`"1Gi"` matches `"1024Mi"`, `0.5` matches `"500m"`): the
 *   apiserver stores quantities in canonical form, and the desired builders
 *   pass the user's `spec.resources` and `spec.storageSize` through as written.
 * - **Zero values.** A desired `false`, `0`, `""`, `[]` or `{}` matches an
 *   absent live field, because Go's `omitempty` drops exactly those when the
 *   apiserver serialises an object. Exceptions are fields where absence means
 *   something else than the zero value (`allowPrivilegeEscalation`,
 *   `automountServiceAccountToken`: absent means `true`). `null` in `desired`
 *   states nothing and matches anything.
 * - **Keyed lists** match item by item under a key, and `live` may hold more
 *   items (another manager's env var, an extra owner reference):
 *   `ownerReferences` by `uid`; items that all have a `name` (containers, env,
 *   volumes, volumeMounts, ports…) or a `metadata.name` (volumeClaimTemplates)
 *   by it; unnamed `ports` by port and protocol; `conditions` by `type`;
 *   `topologySpreadConstraints` by topology key and `whenUnsatisfiable`;
 *   `finalizers` as a set. Every desired item needs one live item with the same
 *   key that it matches.
 * - **Other lists** (command, args, tolerations, matchExpressions, accessModes)
 *   are atomic in server-side apply: same length, item by item in order.
 * - **Secrets**: `stringData` is compared against `data` as the apiserver
 *   stores it (base64 of the UTF-8 text), since `stringData` is never read back.
 * - Top-level `apiVersion` and `kind` are compared only when `live` has them.
 *
 * @module
 */
import { compareQuantities } from "../../database/mod.ts";
import type { KubeObject } from "../../runtime/mod.ts";
import { APPLIED_HASH_ANNOTATION, appliedHash } from "./applied_hash.ts";

type Path = readonly string[];
type Json = Record<string, unknown>;

/** Fields whose absence does not mean the zero value (Kubernetes defaults them to `true`). */
const ABSENT_IS_NOT_ZERO = new Set(["allowPrivilegeEscalation", "automountServiceAccountToken"]);

/** Lists that server-side apply merges by key, so that other managers may add items. */
const KEYED_LISTS = new Set([
  "containers",
  "initContainers",
  "ephemeralContainers",
  "env",
  "volumes",
  "volumeMounts",
  "volumeDevices",
  "ports",
  "imagePullSecrets",
  "ownerReferences",
  "finalizers",
  "volumeClaimTemplates",
  "conditions",
  "topologySpreadConstraints",
  "hostAliases",
  "resourceClaims",
]);

/** Item keys for keyed lists whose items have no `name`. */
const LIST_KEYS: Readonly<Record<string, (item: Json) => string | undefined>> = {
  ports: (item) => {
    const port = item.containerPort ?? item.port;
    return typeof port === "number" ? `${port}/${item.protocol ?? "TCP"}` : undefined;
  },
  conditions: (item) => stringField(item, "type"),
  topologySpreadConstraints: (item) => {
    const key = stringField(item, "topologyKey");
    return key === undefined ? undefined : `${key}/${item.whenUnsatisfiable ?? ""}`;
  },
  hostAliases: (item) => stringField(item, "ip"),
};

/**
 * True when `live` already carries everything `desired` says (see the module
 * documentation for the exact rules). Pure: reads both objects, mutates
 * neither, and works on deeply frozen ones.
 *
 * @example
 * ```ts
 * import type { KubeObject } from "../../runtime/mod.ts";
 * import { matchesLive, withAppliedHash } from "./mod.ts";
 * const desired = withAppliedHash<KubeObject>({
 *   apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "n" }, data: { k: "v" },
 * });
 * const live = structuredClone(desired);
 * live.metadata!.uid = "0a1b";
 * live.metadata!.labels = { "added-by": "someone-else" };
 * console.assert(matchesLive(desired, live));
 * live.data = { k: "edited" };
 * console.assert(!matchesLive(desired, live));
 * ```
 */
export function matchesLive(desired: KubeObject, live: KubeObject | undefined): boolean {
  if (live === undefined) return false;
  const wantedHash = desired.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] ??
    appliedHash(desired);
  if (live.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] !== wantedHash) return false;
  const effective = secretAsStored(desired);
  for (const [key, value] of Object.entries(effective)) {
    if ((key === "apiVersion" || key === "kind") && live[key] === undefined) continue;
    if (!covers(value, live[key], [key])) return false;
  }
  return true;
}

/** Whether live value `l` carries desired value `d` at `path`. */
function covers(d: unknown, l: unknown, path: Path): boolean {
  if (d === undefined || d === null) return true;
  if (l === undefined || l === null) return isOmittedZero(d, path);
  if (isQuantityPath(path) && (typeof d === "string" || typeof d === "number")) {
    return sameQuantity(d, l);
  }
  if (Array.isArray(d)) return Array.isArray(l) && coversList(d, l, path);
  if (typeof d === "object") {
    if (!isObject(l)) return false;
    for (const [key, value] of Object.entries(d)) {
      if (!covers(value, l[key], [...path, key])) return false;
    }
    return true;
  }
  return d === l;
}

function coversList(d: readonly unknown[], l: readonly unknown[], path: Path): boolean {
  const name = path.at(-1) ?? "";
  const itemPath = [...path, "[]"];
  if (d.length === 0 && KEYED_LISTS.has(name)) return true;
  if (name === "finalizers") return d.every((item) => l.includes(item));
  const keyOf = listKey(d, name);
  if (keyOf !== undefined) {
    return d.every((item) => {
      const key = keyOf(item as Json);
      return l.some((other) =>
        isObject(other) && keyOf(other) === key && covers(item, other, itemPath)
      );
    });
  }
  return d.length === l.length && d.every((item, i) => covers(item, l[i], itemPath));
}

/** How items of the desired list `d` (named `name`) are keyed, or `undefined` when positional. */
function listKey(
  d: readonly unknown[],
  name: string,
): ((item: Json) => string | undefined) | undefined {
  if (d.length === 0 || !d.every(isObject)) return undefined;
  const items = d as readonly Json[];
  const candidates: Array<(item: Json) => string | undefined> = name === "ownerReferences"
    ? [(item) => stringField(item, "uid")]
    : [
      (item) => stringField(item, "name"),
      (item) => isObject(item.metadata) ? stringField(item.metadata, "name") : undefined,
      ...(LIST_KEYS[name] === undefined ? [] : [LIST_KEYS[name]]),
    ];
  return candidates.find((keyOf) => items.every((item) => keyOf(item) !== undefined));
}

/** Whether `d` is a value the apiserver's `omitempty` leaves out, so that absence matches it. */
function isOmittedZero(d: unknown, path: Path): boolean {
  if (ABSENT_IS_NOT_ZERO.has(path.at(-1) ?? "")) return false;
  if (d === false || d === 0 || d === "" || d === null || d === undefined) return true;
  if (Array.isArray(d)) return d.length === 0;
  if (isObject(d)) {
    return Object.entries(d).every(([key, value]) => isOmittedZero(value, [...path, key]));
  }
  return false;
}

function isQuantityPath(path: Path): boolean {
  const n = path.length;
  const parent = path[n - 2];
  return ((parent === "requests" || parent === "limits") && path[n - 3] === "resources") ||
    parent === "overhead" || path[n - 1] === "sizeLimit";
}

function sameQuantity(d: string | number, l: unknown): boolean {
  if (typeof l !== "string" && typeof l !== "number") return false;
  if (d === l) return true;
  try {
    return compareQuantities(d, l) === 0;
  } catch {
    return false;
  }
}

/** `desired` with a Secret's `stringData` folded into `data`, as the apiserver stores it. */
function secretAsStored(desired: KubeObject): KubeObject {
  const stringData = desired.stringData;
  if (desired.kind !== "Secret" || !isObject(stringData)) return desired;
  const { stringData: _folded, ...rest } = desired;
  const data: Record<string, unknown> = isObject(desired.data) ? { ...desired.data } : {};
  for (const [key, value] of Object.entries(stringData)) {
    if (typeof value === "string") data[key] = base64Utf8(value);
  }
  return { ...rest, data };
}

function base64Utf8(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringField(item: Json, field: string): string | undefined {
  const value = item[field];
  return typeof value === "string" ? value : undefined;
}
