/**
 * The apply layer of the Database reconciler: compare a desired object with
 * the cached live one ({@link matchesLive}), and write only when they differ,
 * with server-side apply under one field manager ({@link Applier}).
 *
 * @example
 * ```ts ignore
 * import { Applier, matchesLive, withAppliedHash } from "./mod.ts";
 * const desired = withAppliedHash(buildStatefulSet(db));
 * if (!matchesLive(desired, statefulSets.get(key))) await applier.apply(desired, { signal });
 * ```
 *
 * @module
 */
export * from "./applied_hash.ts";
export * from "./matches_live.ts";
export * from "./resource_for.ts";
export * from "./applier.ts";
