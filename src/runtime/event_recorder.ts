/**
 * Records core/v1 Events about objects without ever blocking or failing the
 * caller (client-go `tools/record`): `event()` only queues; a background
 * writer correlates ({@link EventCorrelator}) and creates or patches.
 * Hand-written: client-node has no event recorder.
 *
 * ## Guarantees
 * - `event()` returns at once and never throws; past `queueSize` (1000)
 *   pending events, new ones are dropped (client-go's broadcaster drops too).
 * - Write errors are logged and the event dropped; a patch of an Event that
 *   no longer exists falls back to creating it; an Event that could not be
 *   created is forgotten, so its next repeat creates it again.
 * - {@link EventRecorder.start} writes what is queued until its signal
 *   aborts, then goes on writing what is queued (the write in flight
 *   included) for up to `shutdownFlushTimeoutMs` (5 s), drops the rest with
 *   a warning, and resolves.
 *
 * @module
 */
import { type KubeClient, NotFoundError } from "../kube/mod.ts";
import { getLogger, type Logger } from "../observability/log.ts";
import { type Clock, realClock, type TimerHandle } from "./clock.ts";
import {
  type CoreEvent,
  EventCorrelator,
  type EventCorrelatorOptions,
} from "./event_correlator.ts";
import type { KubeObject } from "./resource.ts";

/** Options of {@link EventRecorder}. */
export interface EventRecorderOptions extends EventCorrelatorOptions {
  /** `source.component` and `reportingComponent`, e.g. `vigil`. */
  readonly component: string;
  /** `source.host` / `reportingInstance`; default none. */
  readonly host?: string;
  /** Pending events kept at most; default 1000. */
  readonly queueSize?: number;
  /** How long `start` goes on writing queued events after its signal aborts; default 5 000 ms. */
  readonly shutdownFlushTimeoutMs?: number;
  readonly log?: Logger;
}

/** Writes Events in the background. */
export class EventRecorder {
  readonly #client: Pick<KubeClient, "request">;
  readonly #correlator: EventCorrelator;
  readonly #options: EventRecorderOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #pending: CoreEvent[] = [];
  #wake: (() => void) | undefined;
  #seq = 0;

  constructor(client: Pick<KubeClient, "request">, options: EventRecorderOptions) {
    this.#client = client;
    this.#options = options;
    this.#clock = options.clock ?? realClock;
    this.#correlator = new EventCorrelator(options);
    this.#log = options.log ?? getLogger("events");
  }

  /** Queues an Event about `obj`; never blocks, never throws. */
  event(obj: KubeObject, type: "Normal" | "Warning", reason: string, message: string): void {
    try {
      if (this.#pending.length >= (this.#options.queueSize ?? 1000)) {
        this.#log.warn("event queue full; dropping event", { reason });
        return;
      }
      const now = this.#clock.now();
      const time = new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z");
      const meta = obj.metadata ?? {};
      const namespace = meta.namespace === undefined || meta.namespace === ""
        ? "default"
        : meta.namespace;
      this.#pending.push({
        metadata: { name: `${meta.name ?? "unknown"}.${this.#suffix(now)}`, namespace },
        involvedObject: {
          ...(obj.apiVersion === undefined ? {} : { apiVersion: obj.apiVersion }),
          ...(obj.kind === undefined ? {} : { kind: obj.kind }),
          ...(meta.namespace === undefined ? {} : { namespace: meta.namespace }),
          ...(meta.name === undefined ? {} : { name: meta.name }),
          ...(meta.uid === undefined ? {} : { uid: meta.uid }),
          ...(meta.resourceVersion === undefined ? {} : { resourceVersion: meta.resourceVersion }),
        },
        reason,
        message: message.slice(0, 1024),
        type,
        source: {
          component: this.#options.component,
          ...(this.#options.host === undefined ? {} : { host: this.#options.host }),
        },
        reportingComponent: this.#options.component,
        reportingInstance: this.#options.host ?? "",
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
      });
      this.#wake?.();
    } catch (err) {
      this.#log.warn("cannot queue event", { err });
    }
  }

  // client-go names Events `<object>.<unix nanoseconds in hex>`; a counter
  // stands in for the nanoseconds so that two events in one ms do not clash.
  #suffix(nowMs: number): string {
    this.#seq = (this.#seq + 1) % 1_000_000;
    return (BigInt(Math.floor(nowMs)) * 1_000_000n + BigInt(this.#seq)).toString(16);
  }

  /** Number of events waiting to be written. */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Writes queued events until `signal` aborts, then flushes the queue
   * within `shutdownFlushTimeoutMs`; resolves once stopped.
   */
  async start(signal: AbortSignal): Promise<void> {
    const flushMs = this.#options.shutdownFlushTimeoutMs ?? 5_000;
    // Writes outlive the stop signal: they end at the flush deadline.
    const writes = new AbortController();
    let deadline: TimerHandle | undefined;
    const onStop = () => {
      deadline = this.#clock.setTimeout(
        () => writes.abort(new Error(`Cannot flush events: ${flushMs} ms deadline passed`)),
        flushMs,
      );
      this.#wake?.();
    };
    if (signal.aborted) onStop();
    else signal.addEventListener("abort", onStop, { once: true });
    try {
      while (!writes.signal.aborted) {
        const next = this.#pending.shift();
        if (next !== undefined) {
          await this.#write(next, writes.signal);
          continue;
        }
        if (signal.aborted) break;
        await new Promise<void>((resolve) => {
          this.#wake = () => {
            this.#wake = undefined;
            resolve();
          };
        });
      }
    } finally {
      signal.removeEventListener("abort", onStop);
      if (deadline !== undefined) this.#clock.clearTimeout(deadline);
      this.#wake = undefined;
      if (this.#pending.length > 0) {
        this.#log.warn("events not written by the flush deadline; dropped", {
          events: this.#pending.length,
        });
        this.#pending.length = 0;
      }
    }
  }

  /** Writes everything queued now (tests and shutdown use this). */
  async flush(signal?: AbortSignal): Promise<void> {
    for (let next = this.#pending.shift(); next !== undefined; next = this.#pending.shift()) {
      await this.#write(next, signal);
    }
  }

  async #write(event: CoreEvent, signal: AbortSignal | undefined): Promise<void> {
    const c = this.#correlator.correlate(event);
    if (c.action === "skip") return;
    const base = `/api/v1/namespaces/${encodeURIComponent(c.event.metadata.namespace)}/events`;
    const opts = signal === undefined ? {} : { signal };
    let creating = false;
    try {
      if (c.action === "patch") {
        try {
          const written = await this.#client.request<CoreEvent>(
            "PATCH",
            `${base}/${encodeURIComponent(c.event.metadata.name)}`,
            { ...opts, body: c.patch, contentType: "application/strategic-merge-patch+json" },
          );
          this.#correlator.update(c.key, written);
          return;
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
      creating = true;
      const { resourceVersion: _rv, ...metadata } = c.event.metadata;
      const created = await this.#client.request<CoreEvent>("POST", base, {
        ...opts,
        body: { apiVersion: "v1", kind: "Event", ...c.event, metadata },
      });
      this.#correlator.update(c.key, created);
    } catch (err) {
      // No Event exists under the key's name: forget it so the next repeat
      // creates one (a failed patch leaves the Event there, so keep that key).
      if (creating) this.#correlator.update(c.key, undefined);
      if (!signal?.aborted) {
        this.#log.warn("cannot write event; dropped", { err, reason: event.reason });
      }
    }
  }
}
