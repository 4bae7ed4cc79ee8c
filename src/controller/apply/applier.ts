/**
 * The writes of the apply layer: server-side apply of owned objects and of
 * the Database status under one field manager, and deletes with a uid
 * precondition.
 *
 * Why force: Vigil is the only writer that should own the fields it sets, so
 * a conflict with another manager (someone's `kubectl edit`) is resolved in
 * Vigil's favour and the edit is reverted, as controller-runtime operators do
 * with `client.ForceOwnership`. Fields Vigil does not set stay with their
 * managers.
 *
 * @module
 */
import { ConflictError, type KubeClient, NotFoundError } from "../../kube/mod.ts";
import { apiVersionOf, type KubeObject, type Resource, resourcePath } from "../../runtime/mod.ts";
import { resourceFor } from "./resource_for.ts";

/** The field manager of every write Vigil makes. */
export const FIELD_MANAGER = "vigil";

const APPLY_PATCH = "application/apply-patch+yaml";

/** Options of {@link Applier}. */
export interface ApplierOptions {
  /** The server-side apply field manager; default {@link FIELD_MANAGER}. */
  readonly fieldManager?: string;
}

/** Options of {@link Applier.apply}. */
export interface ApplyOptions {
  readonly signal?: AbortSignal;
  /**
   * Where the object lives, for kinds {@link resourceFor} does not know (the
   * Database itself); default `resourceFor(obj.apiVersion, obj.kind)`.
   */
  readonly resource?: Resource;
}

/** What {@link Applier.delete} deletes. */
export interface DeleteRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** When given, only the object with this uid is deleted. */
  readonly uid?: string;
}

/** Options of {@link Applier.delete}. */
export interface DeleteOptions {
  readonly signal?: AbortSignal;
  /** Default `Background`: dependents are garbage-collected after the object is gone. */
  readonly propagationPolicy?: "Background" | "Foreground" | "Orphan";
}

/**
 * Writes objects with server-side apply under one field manager.
 *
 * ## Guarantees
 * - Every apply is `PATCH` with `application/apply-patch+yaml`,
 *   `fieldManager` and `force=true`, on the object's own path; the answer is
 *   the object as the server stored it.
 * - `delete` resolves once the apiserver accepted the deletion, or found no
 *   such object: `NotFound`, and with a `uid`, a failed uid precondition
 *   (the name now belongs to another object) both count as done.
 *
 * ## Errors
 * Every other API error is thrown as the typed error of `src/kube/errors.ts`
 * (e.g. `InvalidError` with field causes for an object the server refuses).
 * A `TypeError` is thrown before any request for an object without
 * `apiVersion`, `kind`, `metadata.name` or (when namespaced) `metadata.namespace`.
 *
 * @example
 * ```ts ignore
 * import { Applier, matchesLive, withAppliedHash } from "./mod.ts";
 * const applier = new Applier(client);
 * const desired = withAppliedHash(buildConfigMap(db));
 * if (!matchesLive(desired, cache.get(key))) await applier.apply(desired, { signal });
 * ```
 */
export class Applier {
  readonly #client: Pick<KubeClient, "request">;
  readonly #fieldManager: string;

  constructor(client: Pick<KubeClient, "request">, options: ApplierOptions = {}) {
    this.#client = client;
    this.#fieldManager = options.fieldManager ?? FIELD_MANAGER;
  }

  /** The field manager this applier writes as. */
  get fieldManager(): string {
    return this.#fieldManager;
  }

  /**
   * Server-side applies `obj` and returns the server's object.
   *
   * @throws {RangeError} for a kind Vigil does not own (unless `options.resource` is given).
   */
  apply<T extends KubeObject>(obj: T, options: ApplyOptions = {}): Promise<T> {
    const resource = options.resource ?? resourceFor(String(obj.apiVersion), String(obj.kind));
    return this.#apply(resource, obj, "", options.signal);
  }

  /**
   * Server-side applies `obj` to the `status` subresource of `resource`, with
   * the same field manager; `apiVersion` and `kind` default to the resource's.
   */
  applyStatus<T extends KubeObject>(
    resource: Resource,
    obj: T,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<T> {
    const kind = obj.kind ?? resource.kind;
    const typed: KubeObject = {
      ...obj,
      apiVersion: obj.apiVersion ?? apiVersionOf(resource),
      ...(kind === undefined ? {} : { kind }),
    };
    return this.#apply<T>(resource, typed, "/status", options.signal);
  }

  /** Deletes one object; see the class documentation for what counts as done. */
  async delete(ref: DeleteRef, options: DeleteOptions = {}): Promise<void> {
    const resource = resourceFor(ref.apiVersion, ref.kind);
    const path = resourcePath(resource, { namespace: ref.namespace, name: ref.name });
    const body = {
      apiVersion: "v1",
      kind: "DeleteOptions",
      propagationPolicy: options.propagationPolicy ?? "Background",
      ...(ref.uid === undefined ? {} : { preconditions: { uid: ref.uid } }),
    };
    try {
      await this.#client.request("DELETE", path, {
        body,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } catch (err) {
      if (err instanceof NotFoundError) return;
      if (ref.uid !== undefined && err instanceof ConflictError) return;
      throw err;
    }
  }

  async #apply<T extends KubeObject>(
    resource: Resource,
    obj: KubeObject,
    subresource: string,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const name = obj.metadata?.name;
    const namespace = obj.metadata?.namespace;
    const what = `${String(obj.kind)} ${namespace ?? ""}/${name ?? ""}`;
    if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
      throw new TypeError(`Cannot apply ${what}: apiVersion and kind are required`);
    }
    if (name === undefined || name === "") {
      throw new TypeError(`Cannot apply ${what}: metadata.name is missing`);
    }
    if (resource.namespaced && (namespace === undefined || namespace === "")) {
      throw new TypeError(`Cannot apply ${what}: metadata.namespace is missing`);
    }
    const path =
      resourcePath(resource, { name, ...(namespace === undefined ? {} : { namespace }) }) +
      subresource;
    const written = await this.#client.request<T>("PATCH", path, {
      query: { fieldManager: this.#fieldManager, force: true },
      body: JSON.stringify(withoutManagedFields(obj)),
      contentType: APPLY_PATCH,
      ...(signal === undefined ? {} : { signal }),
    });
    return written;
  }
}

/** The apiserver refuses an applied object that carries `managedFields`; a live copy may. */
function withoutManagedFields(obj: KubeObject): KubeObject {
  if (obj.metadata?.managedFields === undefined) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}
