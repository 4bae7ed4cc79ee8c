/**
 * A {@link ResourceLock} on a `coordination.k8s.io/v1` Lease, as client-go's
 * `LeaseLock`: optimistic concurrency through the `resourceVersion` of the
 * last read (PUT), times as MicroTime. Hand-written: client-node has no
 * leader election at all.
 *
 * @module
 */
import { type KubeClient, NotFoundError } from "../kube/mod.ts";
import { Backoff, type BackoffOptions } from "./backoff.ts";
import { type Clock, realClock } from "./clock.ts";
import type { LeaderElectionRecord, ObservedRecord, ResourceLock } from "./resource_lock.ts";

interface Lease {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion?: string; [k: string]: unknown };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** Formats ms since the epoch as a Kubernetes MicroTime (`2006-01-02T15:04:05.000000Z`). */
export function toMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** Parses a MicroTime (or RFC 3339 time) to ms since the epoch; 0 when absent. */
export function fromMicroTime(value: string | undefined): number {
  return value === undefined ? 0 : Date.parse(value);
}

/** Options of {@link LeaseLock}. */
export interface LeaseLockOptions {
  readonly namespace: string;
  readonly name: string;
  /** Default {@link uniqueIdentity}. */
  readonly identity?: string;
  /** Reconnect backoff of {@link LeaseLock.watch}; defaults are the watcher's (client-go's reflector's). */
  readonly backoff?: BackoffOptions;
  readonly clock?: Clock;
  /** Random source in [0, 1) for the backoff's jitter; default `Math.random`. */
  readonly random?: () => number;
}

/** `hostname_random`: unique per process, as client-go's examples build it. */
export function uniqueIdentity(): string {
  let host = "localhost";
  try {
    host = Deno.hostname();
  } catch { /* no --allow-sys: keep the fallback */ }
  return `${host}_${crypto.randomUUID()}`;
}

/** A Lease-backed lock. */
export class LeaseLock implements ResourceLock {
  readonly identity: string;
  readonly #client: LeaseClient;
  readonly #namespace: string;
  readonly #name: string;
  readonly #clock: Clock;
  readonly #backoff: Backoff;
  #lease: Lease | undefined;

  constructor(client: LeaseClient, options: LeaseLockOptions) {
    this.#client = client;
    this.#namespace = options.namespace;
    this.#name = options.name;
    this.identity = options.identity ?? uniqueIdentity();
    this.#clock = options.clock ?? realClock;
    this.#backoff = new Backoff({
      clock: this.#clock,
      ...(options.random === undefined ? {} : { random: options.random }),
      ...options.backoff,
    });
  }

  #path(name?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${
      encodeURIComponent(this.#namespace)
    }/leases`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  async get(signal?: AbortSignal): Promise<ObservedRecord> {
    const lease = await this.#client.request<Lease>("GET", this.#path(this.#name), opts(signal));
    this.#lease = lease;
    return { record: toRecord(lease), version: lease.metadata.resourceVersion ?? "" };
  }

  async create(record: LeaderElectionRecord, signal?: AbortSignal): Promise<void> {
    const body: Lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: this.#name, namespace: this.#namespace },
      spec: toSpec(record),
    };
    this.#lease = await this.#client.request<Lease>("POST", this.#path(), {
      ...opts(signal),
      body,
    });
  }

  async update(record: LeaderElectionRecord, signal?: AbortSignal): Promise<void> {
    if (this.#lease === undefined) {
      throw new NotFoundError("Cannot update lease: it was never read", { status: 404 });
    }
    const body: Lease = { ...this.#lease, spec: toSpec(record) };
    this.#lease = await this.#client.request<Lease>("PUT", this.#path(this.#name), {
      ...opts(signal),
      body,
    });
  }

  /**
   * Watches this Lease (a field-selected watch) and calls `onChange` for
   * every event, until `signal` aborts. Without a streaming client it returns
   * at once.
   *
   * Reconnects after the watcher's backoff (800 ms doubling to 30 s,
   * jittered) whenever the watch ends or fails, so an apiserver that is down
   * is not asked once a second by every standby; the backoff starts over
   * after two minutes without a failure, so a healthy watch that ends at its
   * server-side timeout is renewed within 0.8–1.6 s.
   */
  async watch(signal: AbortSignal, onChange: () => void): Promise<void> {
    const stream = this.#client.stream?.bind(this.#client);
    if (stream === undefined) return;
    while (!signal.aborted) {
      try {
        const body = await stream(this.#path(), {
          query: {
            watch: "true",
            fieldSelector: `metadata.name=${this.#name}`,
            timeoutSeconds: 300,
          },
          signal,
          timeoutMs: 10_000,
        });
        const reader = body.getReader();
        // Cancel the read ourselves: an aborted fetch does not always end a
        // body that is already streaming.
        const cancel = () => void reader.cancel().catch(() => {});
        signal.addEventListener("abort", cancel, { once: true });
        try {
          while (!(await reader.read()).done) onChange();
        } finally {
          signal.removeEventListener("abort", cancel);
          reader.releaseLock();
          await body.cancel().catch(() => {});
        }
      } catch {
        // A failed watch only makes hand-over wait for the next poll.
      }
      await this.#clock.sleep(this.#backoff.next(), signal).catch(() => {});
    }
  }

  describe(): string {
    return `${this.#namespace}/${this.#name}`;
  }
}

/**
 * What a {@link LeaseLock} needs of a client: requests, and optionally
 * streams, which let standbys watch the Lease for a release.
 */
export type LeaseClient = Pick<KubeClient, "request"> & Partial<Pick<KubeClient, "stream">>;

function opts(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}

function toSpec(r: LeaderElectionRecord): Lease["spec"] {
  return {
    holderIdentity: r.holderIdentity,
    leaseDurationSeconds: r.leaseDurationSeconds,
    acquireTime: toMicroTime(r.acquireTimeMs),
    renewTime: toMicroTime(r.renewTimeMs),
    leaseTransitions: r.leaseTransitions,
  };
}

function toRecord(lease: Lease): LeaderElectionRecord {
  return {
    holderIdentity: lease.spec?.holderIdentity ?? "",
    leaseDurationSeconds: lease.spec?.leaseDurationSeconds ?? 0,
    acquireTimeMs: fromMicroTime(lease.spec?.acquireTime),
    renewTimeMs: fromMicroTime(lease.spec?.renewTime),
    leaseTransitions: lease.spec?.leaseTransitions ?? 0,
  };
}
