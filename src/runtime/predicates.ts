/**
 * Event filters (controller-runtime `pkg/predicate`), composable with
 * {@link and}, {@link or} and {@link not}.
 *
 * @module
 */
import type { KubeObject } from "./resource.ts";
import { stableJson } from "./stable_json.ts";

/** Decides which events reach the queue; a missing method lets the event through. */
export interface Predicate<T> {
  create?(obj: T, isInInitialList: boolean): boolean;
  update?(oldObj: T, obj: T): boolean;
  delete?(obj: T): boolean;
}

const json = (value: unknown) => JSON.stringify(value ?? null, Object.keys(value ?? {}).sort());

/** Passes updates that change `metadata.generation` (spec changes, for kinds that have one). */
export const generationChanged: Predicate<KubeObject> = {
  update: (o, n) => o.metadata?.generation !== n.metadata?.generation,
};

/** Passes updates that change labels. */
export const labelsChanged: Predicate<KubeObject> = {
  update: (o, n) => json(o.metadata?.labels) !== json(n.metadata?.labels),
};

/** Passes updates that change annotations. */
export const annotationsChanged: Predicate<KubeObject> = {
  update: (o, n) => json(o.metadata?.annotations) !== json(n.metadata?.annotations),
};

/** Passes updates with a new resourceVersion (drops unchanged resyncs). */
export const resourceVersionChanged: Predicate<KubeObject> = {
  update: (o, n) => o.metadata?.resourceVersion !== n.metadata?.resourceVersion,
};

function withoutChurn(obj: KubeObject): unknown {
  const { status: _s, metadata, ...rest } = obj;
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = metadata ?? {};
  return { ...rest, metadata: meta };
}

/**
 * Drops updates that change only `status` (or only resourceVersion and
 * managedFields): a controller's own status writes must not wake it again.
 * Works for kinds without `generation`, unlike {@link generationChanged}.
 */
export const ignoreStatusOnlyChanges: Predicate<KubeObject> = {
  update: (o, n) => {
    const og = o.metadata?.generation;
    const ng = n.metadata?.generation;
    if (og !== undefined && ng !== undefined && og !== ng) return true;
    return stableJson(withoutChurn(o)) !== stableJson(withoutChurn(n));
  },
};

function check<T>(p: Predicate<T>, kind: "create" | "update" | "delete", args: unknown[]): boolean {
  const fn = p[kind] as ((...a: unknown[]) => boolean) | undefined;
  return fn === undefined ? true : fn.apply(p, args);
}

/** Passes an event only if every predicate does. */
export function and<T>(...ps: Predicate<T>[]): Predicate<T> {
  return {
    create: (...a) => ps.every((p) => check(p, "create", a)),
    update: (...a) => ps.every((p) => check(p, "update", a)),
    delete: (...a) => ps.every((p) => check(p, "delete", a)),
  };
}

/** Passes an event if any predicate does. */
export function or<T>(...ps: Predicate<T>[]): Predicate<T> {
  return {
    create: (...a) => ps.some((p) => check(p, "create", a)),
    update: (...a) => ps.some((p) => check(p, "update", a)),
    delete: (...a) => ps.some((p) => check(p, "delete", a)),
  };
}

/** Inverts a predicate (a missing method, which passed, now blocks). */
export function not<T>(p: Predicate<T>): Predicate<T> {
  return {
    create: (...a) => !check(p, "create", a),
    update: (...a) => !check(p, "update", a),
    delete: (...a) => !check(p, "delete", a),
  };
}

/** Evaluates a predicate for one event kind. */
export function passes<T>(
  p: Predicate<T>,
  kind: "create" | "update" | "delete",
  ...args: unknown[]
): boolean {
  return check(p, kind, args);
}
