/**
 * The small lock interface leader election runs on (client-go
 * `tools/leaderelection/resourcelock.Interface`); the Lease implements it in
 * `lease_lock.ts`, an in-memory one for tests is in `testing.ts`.
 *
 * @module
 */

/** What the lock stores (client-go's `LeaderElectionRecord`); times in ms since the epoch. */
export interface LeaderElectionRecord {
  /** `""` when released. */
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTimeMs: number;
  readonly renewTimeMs: number;
  readonly leaseTransitions: number;
}

/** The current record and an opaque version for optimistic concurrency. */
export interface ObservedRecord {
  readonly record: LeaderElectionRecord;
  /** Changes on every write (a `resourceVersion`). */
  readonly version: string;
}

/**
 * A place to store a {@link LeaderElectionRecord} with compare-and-swap.
 *
 * ## Errors
 * `get` throws the kube `NotFoundError` when there is no record yet; `create`
 * and `update` throw the kube `ConflictError` when someone else wrote first
 * (`update` compares against the version of this lock's last `get`).
 */
export interface ResourceLock {
  /** This candidate's unique identity. */
  readonly identity: string;
  get(signal?: AbortSignal): Promise<ObservedRecord>;
  create(record: LeaderElectionRecord, signal?: AbortSignal): Promise<void>;
  update(record: LeaderElectionRecord, signal?: AbortSignal): Promise<void>;
  /** `namespace/name` of the lock, for logs. */
  describe(): string;
  /**
   * Optional: calls `onChange` whenever the lock's record may have changed
   * (a watch), until `signal` aborts; resolves then. Standbys use it to try
   * at once when a leader releases the lock instead of at their next retry;
   * polling stays the mechanism that guarantees progress, so a lock without
   * it, or a watch that fails, only makes hand-over slower.
   */
  watch?(signal: AbortSignal, onChange: () => void): Promise<void>;
}
