/**
 * What the manager runs (controller-runtime `manager.Runnable`) and the
 * groups that fix their start order.
 *
 * @module
 */

/**
 * Start groups, in start order (stopped in reverse): HTTP servers; webhooks
 * (conversion must answer before caches list); caches (awaited until
 * synced); other always-on work; leader-only work (after election).
 */
export type RunnableGroup = "httpServers" | "webhooks" | "caches" | "others" | "leaderElection";

/** Long-running work; `start` resolves only once fully stopped. */
export interface Runnable {
  start(signal: AbortSignal): Promise<void>;
  /** Leader-only work (controllers). Default false. */
  readonly needLeaderElection?: boolean;
  /** Resolves once the runnable serves (webhooks, servers); optional. */
  ready?(signal: AbortSignal): Promise<unknown>;
}

/** A cache the manager waits on before starting later groups. */
export interface CacheRunnable extends Runnable {
  hasSynced(): boolean;
  waitForSync(signal: AbortSignal): Promise<boolean>;
}

/** Whether a runnable is a cache (has `hasSynced` and `waitForSync`). */
export function isCache(r: Runnable): r is CacheRunnable {
  const c = r as Partial<CacheRunnable>;
  return typeof c.hasSynced === "function" && typeof c.waitForSync === "function";
}
