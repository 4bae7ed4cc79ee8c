/**
 * Test doubles of the runtime's injected parts, kept out of the production
 * barrel (`mod.ts`): {@link FakeClock}, a clock that moves only when told,
 * {@link flush} to let promise reactions run, and {@link MemoryLock}, a
 * leader-election lock in memory.
 *
 * @module
 */
import { ConflictError, NotFoundError } from "../kube/mod.ts";
import { sleepWith } from "./_sleep.ts";
import type { Clock, TimerHandle } from "./clock.ts";
import type { LeaderElectionRecord, ObservedRecord, ResourceLock } from "./resource_lock.ts";

interface FakeTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A clock that only moves when told to, for tests.
 *
 * Guarantees: {@link FakeClock.advance} fires due timers in time order (ties
 * in creation order) and lets pending promise reactions run after each one,
 * so code awaiting {@link Clock.sleep} proceeds within the same `advance`.
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: FakeTimer[] = [];

  /** Starts at `startMs` (default 1 000 000 ms after the epoch). */
  constructor(startMs = 1_000_000) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const timer = { id: this.#nextId++, at: this.#now + Math.max(0, delayMs), fn };
    this.#timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, delayMs, signal);
  }

  /** Number of timers not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due, and
   * settles promise reactions after each.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flush();
    for (;;) {
      const next = this.#timers
        .filter((t) => t.at <= target)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (next === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      await flush();
    }
    this.#now = target;
    await flush();
  }
}

/** Lets every queued promise reaction (and their follow-ups) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
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
