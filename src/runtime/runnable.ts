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

/** What a runnable is told besides its stop signal. */
export interface StartOptions {
  /**
   * Aborts when work must stop at once, with no drain. The manager gives
   * leader-only work one that aborts (reason `LeaderElectionLostError`) when
   * the lease is lost — also after `signal` already asked for a graceful stop.
   * Absent: never.
   */
  readonly abortNow?: AbortSignal;
}

/**
 * Long-running work; `start` resolves only once fully stopped.
 *
 * When `signal` aborts, stop; work in flight may drain. When `abortNow`
 * aborts, or `signal` aborts with a `LeaderElectionLostError`, stop at once:
 * another replica may already do this work.
 */
export interface Runnable {
  start(signal: AbortSignal, options?: StartOptions): Promise<void>;
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
