/**
 * The applied-hash annotation: a digest of everything Vigil last applied to
 * an object, so that a field Vigil stops setting (which a subset comparison
 * cannot see) still makes the live object differ from the desired one.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type KubeObject, stableJson } from "../../runtime/mod.ts";

/** The annotation that carries {@link appliedHash} of the object Vigil applied. */
export const APPLIED_HASH_ANNOTATION = "vigil.dev/applied-hash";

/** Hex characters kept of the SHA-256 digest (128 bits). */
const HASH_HEX_LENGTH = 32;

/** What the hash covers: `obj` without the applied-hash annotation, an empty `annotations` map left out. */
function hashSubject(obj: KubeObject): KubeObject {
  const annotations = obj.metadata?.annotations;
  if (annotations === undefined) return obj;
  const { [APPLIED_HASH_ANNOTATION]: _hash, ...rest } = annotations;
  const { annotations: _all, ...metadata } = obj.metadata ?? {};
  return {
    ...obj,
    metadata: Object.keys(rest).length === 0 ? metadata : { ...metadata, annotations: rest },
  };
}

/**
 * The applied hash of `desired`: SHA-256 (first 32 hex characters) of its
 * {@link stableJson}, ignoring any applied-hash annotation it already has.
 * Independent of key order; an empty `annotations` map hashes like none.
 */
export function appliedHash(desired: KubeObject): string {
  return createHash("sha256").update(stableJson(hashSubject(desired))).digest("hex")
    .slice(0, HASH_HEX_LENGTH);
}

/**
 * A copy of `desired` with the applied-hash annotation set to
 * {@link appliedHash}. Never mutates `desired` (which may be frozen);
 * idempotent: applying it twice gives the same object.
 *
 * @example
 * ```ts
 * import type { KubeObject } from "../../runtime/mod.ts";
 * import { APPLIED_HASH_ANNOTATION, withAppliedHash } from "./applied_hash.ts";
 * const desired: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" } };
 * const cm = withAppliedHash(desired);
 * console.assert(cm.metadata?.annotations?.[APPLIED_HASH_ANNOTATION]?.length === 32);
 * ```
 */
export function withAppliedHash<T extends KubeObject>(desired: T): T {
  const copy = structuredClone(desired);
  const hash = appliedHash(copy);
  copy.metadata = {
    ...copy.metadata,
    annotations: { ...copy.metadata?.annotations, [APPLIED_HASH_ANNOTATION]: hash },
  };
  return copy;
}
