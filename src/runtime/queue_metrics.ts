/**
 * Workqueue metrics hooks (client-go `workqueue.MetricsProvider`): an
 * interface with a no-op default, so queues cost nothing unmetered and the
 * manager plugs in prom-client.
 *
 * @module
 */

/** What a queue reports about work it has not finished yet. */
export interface UnfinishedWork {
  /** Sum over in-flight items of the seconds since each was handed out. */
  readonly unfinishedWorkSeconds: number;
  /** Seconds the longest-running in-flight item has been out. */
  readonly longestRunningProcessorSeconds: number;
}

/**
 * Receives a queue's measurements; every method must be cheap and never throw.
 * Names follow client-go: depth, adds, queue latency, work duration, retries,
 * unfinished work, longest running processor.
 */
export interface QueueMetrics {
  /** The number of items waiting now. */
  depth(value: number): void;
  /** One item was added (not counted again while it waits de-duplicated). */
  add(): void;
  /** Seconds an item waited between add and get. */
  queueLatency(seconds: number): void;
  /** Seconds between get and done. */
  workDuration(seconds: number): void;
  /** One rate-limited or delayed re-add. */
  retry(): void;
  /** Called once with a reader that the metrics side may poll (at scrape time). */
  observeUnfinished(read: () => UnfinishedWork): void;
}

/** Metrics that go nowhere (the default). */
export const noopQueueMetrics: QueueMetrics = {
  depth() {},
  add() {},
  queueLatency() {},
  workDuration() {},
  retry() {},
  observeUnfinished() {},
};
