/**
 * client-go's event correlator (`tools/record/events_cache.go`): aggregates
 * similar events, turns repeats into count bumps, and filters spam.
 * Hand-written: client-node has no event recorder.
 *
 * ## Guarantees
 * - Identical events (same source, object, type, reason and message) become
 *   one Event whose `count` and `lastTimestamp` are patched.
 * - More than `maxEvents` (10) similar events (same source, object, type,
 *   reason, reporting component and instance; different messages) within
 *   `maxIntervalMs` (10 min) are folded into one Event with the message
 *   "(combined from similar events): …".
 * - Per source+object+type, a token bucket (burst 25, one token per 5 min)
 *   drops the excess, so a flood of Normal events never silences a Warning
 *   (client-go's `getSpamKey`).
 * - A key whose Event could not be created is forgotten: its next repeat
 *   creates the Event instead of patching one that does not exist.
 * - Every cache is an LRU of at most `cacheSize` (4096) entries.
 *
 * @module
 */
import { Lru } from "./_lru.ts";
import { type Clock, realClock } from "./clock.ts";

/** The fields of a core/v1 Event the correlator reads and writes. */
export interface CoreEvent {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  involvedObject: {
    apiVersion?: string;
    kind?: string;
    namespace?: string;
    name?: string;
    uid?: string;
    resourceVersion?: string;
  };
  reason: string;
  message: string;
  type: "Normal" | "Warning";
  source: { component: string; host?: string };
  reportingComponent?: string;
  reportingInstance?: string;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}

/** What to do with an event. */
export type Correlation =
  | { readonly action: "skip" }
  | { readonly action: "create"; readonly event: CoreEvent; readonly key: string }
  | {
    readonly action: "patch";
    readonly event: CoreEvent;
    readonly key: string;
    /** The merge patch: `{count, lastTimestamp, message}`. */
    readonly patch: { count: number; lastTimestamp: string; message: string };
  };

/** Options of {@link EventCorrelator}; defaults are client-go's. */
export interface EventCorrelatorOptions {
  /** Similar events before aggregation; default 10. */
  readonly maxEvents?: number;
  /** Window of aggregation; default 600 000 ms. */
  readonly maxIntervalMs?: number;
  /** Spam filter burst; default 25. */
  readonly burst?: number;
  /** Spam filter refill, tokens per second; default 1/300. */
  readonly qps?: number;
  /** LRU bound of each cache; default 4096. */
  readonly cacheSize?: number;
  readonly clock?: Clock;
}

interface Aggregate {
  readonly messages: Set<string>;
  lastMs: number;
}
interface Seen {
  count: number;
  firstTimestamp: string;
  name: string;
}
interface Bucket {
  tokens: number;
  lastMs: number;
}

function objectPart(e: CoreEvent): string {
  const o = e.involvedObject;
  return [e.source.component, e.source.host ?? "", o.kind, o.namespace, o.name, o.uid, o.apiVersion]
    .join("\u0000");
}

/** client-go's `getSpamKey`: the object and the event type. */
function spamKey(e: CoreEvent): string {
  return `${objectPart(e)}\u0000${e.type}`;
}

/** Decides, for each new event, whether to create, patch or drop it. */
export class EventCorrelator {
  readonly #maxEvents: number;
  readonly #maxIntervalMs: number;
  readonly #burst: number;
  readonly #qps: number;
  readonly #clock: Clock;
  readonly #aggregates: Lru<string, Aggregate>;
  readonly #seen: Lru<string, Seen>;
  readonly #buckets: Lru<string, Bucket>;

  constructor(options: EventCorrelatorOptions = {}) {
    this.#maxEvents = options.maxEvents ?? 10;
    this.#maxIntervalMs = options.maxIntervalMs ?? 600_000;
    this.#burst = options.burst ?? 25;
    this.#qps = options.qps ?? 1 / 300;
    this.#clock = options.clock ?? realClock;
    const size = options.cacheSize ?? 4096;
    this.#aggregates = new Lru(size);
    this.#seen = new Lru(size);
    this.#buckets = new Lru(size);
  }

  /** Correlates a new event (not yet written). */
  correlate(event: CoreEvent): Correlation {
    const now = this.#clock.now();
    const aggregated = this.#aggregate(event, now);
    const key = aggregated.key;
    const seen = this.#seen.get(key);
    let result: Correlation;
    if (seen === undefined) {
      this.#seen.set(key, {
        count: 1,
        firstTimestamp: aggregated.event.firstTimestamp,
        name: aggregated.event.metadata.name,
      });
      result = { action: "create", event: aggregated.event, key };
    } else {
      seen.count++;
      const event: CoreEvent = {
        ...aggregated.event,
        metadata: { ...aggregated.event.metadata, name: seen.name },
        count: seen.count,
        firstTimestamp: seen.firstTimestamp,
      };
      result = {
        action: "patch",
        event,
        key,
        patch: { count: event.count, lastTimestamp: event.lastTimestamp, message: event.message },
      };
    }
    return this.#allow(event, now) ? result : { action: "skip" };
  }

  /**
   * Records what the server stored (its name), or, given `undefined`, forgets
   * a key whose Event could not be created, so that its next repeat creates
   * it rather than patching an Event that does not exist.
   */
  update(key: string, written: CoreEvent | undefined): void {
    if (written === undefined) {
      this.#seen.delete(key);
      return;
    }
    const seen = this.#seen.get(key);
    if (seen !== undefined) seen.name = written.metadata.name;
  }

  #aggregate(event: CoreEvent, now: number): { event: CoreEvent; key: string } {
    const aggregateKey = [
      objectPart(event),
      event.type,
      event.reason,
      event.reportingComponent ?? "",
      event.reportingInstance ?? "",
    ]
      .join("\u0000");
    let entry = this.#aggregates.get(aggregateKey);
    if (entry === undefined || now - entry.lastMs > this.#maxIntervalMs) {
      entry = { messages: new Set(), lastMs: now };
    }
    entry.messages.add(event.message);
    entry.lastMs = now;
    this.#aggregates.set(aggregateKey, entry);
    if (entry.messages.size < this.#maxEvents) {
      return { event, key: `${aggregateKey}\u0000${event.message}` };
    }
    return {
      event: { ...event, message: `(combined from similar events): ${event.message}` },
      key: aggregateKey,
    };
  }

  #allow(event: CoreEvent, now: number): boolean {
    const key = spamKey(event);
    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, lastMs: now };
    bucket.tokens = Math.min(
      this.#burst,
      bucket.tokens + ((now - bucket.lastMs) / 1000) * this.#qps,
    );
    bucket.lastMs = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
