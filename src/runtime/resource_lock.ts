/**
 * The small lock interface leader election runs on (client-go
 * `tools/leaderelection/resourcelock.Interface`), and an in-memory
 * implementation for tests and single-process use.
 *
 * @module
 */
import { ConflictError, NotFoundError } from "../kube/mod.ts";

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
 * `get` throws {@link NotFoundError} when there is no record yet; `create`
 * and `update` throw {@link ConflictError} when someone else wrote first
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

/** The shared cell several {@link MemoryLock}s compete for. */
export class MemoryLockCell {
  current: ObservedRecord | undefined;
  #version = 0;
  /** Set to make every operation fail (simulates an unreachable apiserver). */
  failing: Error | undefined;

  /** Called after every write (what {@link MemoryLock.watch} reports). */
  readonly listeners = new Set<() => void>();

  /** Stores a record under a new version; returns the version. */
  write(record: LeaderElectionRecord): string {
    this.current = { record, version: String(++this.#version) };
    for (const listener of this.listeners) listener();
    return this.current.version;
  }
}

/** A {@link ResourceLock} in memory; candidates share one {@link MemoryLockCell}. */
export class MemoryLock implements ResourceLock {
  readonly identity: string;
  readonly #cell: MemoryLockCell;
  #seenVersion: string | undefined;

  constructor(cell: MemoryLockCell, identity: string) {
    this.#cell = cell;
    this.identity = identity;
  }

  get(): Promise<ObservedRecord> {
    if (this.#cell.failing) return Promise.reject(this.#cell.failing);
    const current = this.#cell.current;
    if (current === undefined) {
      return Promise.reject(new NotFoundError("Cannot get lock: not found", { status: 404 }));
    }
    this.#seenVersion = current.version;
    return Promise.resolve(current);
  }

  create(record: LeaderElectionRecord): Promise<void> {
    if (this.#cell.failing) return Promise.reject(this.#cell.failing);
    if (this.#cell.current !== undefined) {
      return Promise.reject(new ConflictError("Cannot create lock: exists", { status: 409 }));
    }
    this.#seenVersion = this.#cell.write(record);
    return Promise.resolve();
  }

  update(record: LeaderElectionRecord): Promise<void> {
    if (this.#cell.failing) return Promise.reject(this.#cell.failing);
    if (this.#cell.current?.version !== this.#seenVersion) {
      return Promise.reject(
        new ConflictError("Cannot update lock: stale version", { status: 409 }),
      );
    }
    this.#seenVersion = this.#cell.write(record);
    return Promise.resolve();
  }

  describe(): string {
    return "memory";
  }

  /** Reports every write to the cell until `signal` aborts. */
  watch(signal: AbortSignal, onChange: () => void): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    this.#cell.listeners.add(onChange);
    return new Promise((resolve) => {
      signal.addEventListener("abort", () => {
        this.#cell.listeners.delete(onChange);
        resolve();
      }, { once: true });
    });
  }
}
