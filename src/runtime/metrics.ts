/**
 * prom-client metrics under controller-runtime's names and labels, so that
 * the dashboards Kubernetes users already have work unchanged: reconcile
 * counts and times, workqueue metrics, REST client requests, leader status.
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "../observability/prom.ts";
import type { RequestRecord } from "../kube/mod.ts";
import type { ControllerMetrics } from "./controller.ts";
import type { QueueMetrics, UnfinishedWork } from "./queue_metrics.ts";

const RECONCILE_BUCKETS = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.15,
  0.2,
  0.25,
  0.3,
  0.35,
  0.4,
  0.45,
  0.5,
  0.6,
  0.7,
  0.8,
  0.9,
  1,
  1.25,
  1.5,
  1.75,
  2,
  2.5,
  3,
  3.5,
  4,
  4.5,
  5,
  6,
  7,
  8,
  9,
  10,
  15,
  20,
  25,
  30,
  40,
  50,
  60,
];
/** client-go's workqueue buckets: 10 ns to 1 000 s, ×10 each. */
const QUEUE_BUCKETS = Array.from({ length: 10 }, (_, i) => 1e-8 * 10 ** i);

/** Every runtime metric, on one registry. */
export class RuntimeMetrics {
  readonly registry: Registry;
  readonly #reconcileTotal: Counter<"controller" | "result">;
  readonly #reconcileErrors: Counter<"controller">;
  readonly #terminalErrors: Counter<"controller">;
  readonly #panics: Counter<"controller">;
  readonly #reconcileTime: Histogram<"controller">;
  readonly #maxConcurrent: Gauge<"controller">;
  readonly #activeWorkers: Gauge<"controller">;
  readonly #depth: Gauge<"name" | "controller">;
  readonly #adds: Counter<"name" | "controller">;
  readonly #queueDuration: Histogram<"name" | "controller">;
  readonly #workDuration: Histogram<"name" | "controller">;
  readonly #retries: Counter<"name" | "controller">;
  readonly #restRequests: Counter<"code" | "method" | "host">;
  readonly #leader: Gauge<"name">;
  readonly #unfinished = new Map<string, () => UnfinishedWork>();

  /** Uses `registry`, or a new one. */
  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    const unfinished = this.#unfinished;
    this.#reconcileTotal = new Counter({
      name: "controller_runtime_reconcile_total",
      help: "Total number of reconciliations per controller",
      labelNames: ["controller", "result"],
      registers,
    });
    this.#reconcileErrors = new Counter({
      name: "controller_runtime_reconcile_errors_total",
      help: "Total number of reconciliation errors per controller",
      labelNames: ["controller"],
      registers,
    });
    this.#terminalErrors = new Counter({
      name: "controller_runtime_terminal_reconcile_errors_total",
      help: "Total number of terminal reconciliation errors per controller",
      labelNames: ["controller"],
      registers,
    });
    this.#panics = new Counter({
      name: "controller_runtime_reconcile_panics_total",
      help: "Total number of reconciliation panics (programming errors) per controller",
      labelNames: ["controller"],
      registers,
    });
    this.#reconcileTime = new Histogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Length of time per reconciliation per controller",
      labelNames: ["controller"],
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    this.#maxConcurrent = new Gauge({
      name: "controller_runtime_max_concurrent_reconciles",
      help: "Maximum number of concurrent reconciles per controller",
      labelNames: ["controller"],
      registers,
    });
    this.#activeWorkers = new Gauge({
      name: "controller_runtime_active_workers",
      help: "Number of currently used workers per controller",
      labelNames: ["controller"],
      registers,
    });
    const q = ["name", "controller"] as const;
    this.#depth = new Gauge({
      name: "workqueue_depth",
      help: "Current depth of workqueue",
      labelNames: q,
      registers,
    });
    this.#adds = new Counter({
      name: "workqueue_adds_total",
      help: "Total number of adds handled by workqueue",
      labelNames: q,
      registers,
    });
    this.#queueDuration = new Histogram({
      name: "workqueue_queue_duration_seconds",
      help: "How long in seconds an item stays in workqueue before being requested",
      labelNames: q,
      buckets: QUEUE_BUCKETS,
      registers,
    });
    this.#workDuration = new Histogram({
      name: "workqueue_work_duration_seconds",
      help: "How long in seconds processing an item from workqueue takes",
      labelNames: q,
      buckets: QUEUE_BUCKETS,
      registers,
    });
    this.#retries = new Counter({
      name: "workqueue_retries_total",
      help: "Total number of retries handled by workqueue",
      labelNames: q,
      registers,
    });
    new Gauge({
      name: "workqueue_unfinished_work_seconds",
      help: "How many seconds of work has been done that is in progress",
      labelNames: q,
      registers,
      collect() {
        for (const [name, read] of unfinished) {
          this.set({ name, controller: name }, read().unfinishedWorkSeconds);
        }
      },
    });
    new Gauge({
      name: "workqueue_longest_running_processor_seconds",
      help: "How many seconds has the longest running processor for workqueue been running",
      labelNames: q,
      registers,
      collect() {
        for (const [name, read] of unfinished) {
          this.set({ name, controller: name }, read().longestRunningProcessorSeconds);
        }
      },
    });
    this.#restRequests = new Counter({
      name: "rest_client_requests_total",
      help: "Number of HTTP requests, partitioned by status code, method, and host",
      labelNames: ["code", "method", "host"],
      registers,
    });
    this.#leader = new Gauge({
      name: "leader_election_master_status",
      help:
        "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master",
      labelNames: ["name"],
      registers,
    });
  }

  /** Hooks for one controller. */
  controller(name: string): ControllerMetrics {
    const labels = { controller: name };
    // Every series at 0 from the start, as controller-runtime does: rate() and
    // alerts over a counter see its first increment, and panels show 0, not "No data".
    for (const result of ["success", "error", "requeue", "requeue_after"]) {
      this.#reconcileTotal.inc({ ...labels, result }, 0);
    }
    this.#reconcileErrors.inc(labels, 0);
    this.#terminalErrors.inc(labels, 0);
    this.#panics.inc(labels, 0);
    return {
      reconcile: (result, seconds) => {
        this.#reconcileTotal.inc({ ...labels, result });
        this.#reconcileTime.observe(labels, seconds);
      },
      error: (kind) => {
        if (kind === "error") this.#reconcileErrors.inc(labels);
        else if (kind === "terminal") this.#terminalErrors.inc(labels);
        else this.#panics.inc(labels);
      },
      workers: (max, active) => {
        this.#maxConcurrent.set(labels, max);
        this.#activeWorkers.set(labels, active);
      },
    };
  }

  /** Hooks for one workqueue (labelled `name` and `controller`, both the queue name). */
  queue(name: string): QueueMetrics {
    const labels = { name, controller: name };
    this.#depth.set(labels, 0);
    this.#adds.inc(labels, 0);
    this.#retries.inc(labels, 0);
    return {
      depth: (v) => this.#depth.set(labels, v),
      add: () => this.#adds.inc(labels),
      queueLatency: (s) => this.#queueDuration.observe(labels, s),
      workDuration: (s) => this.#workDuration.observe(labels, s),
      retry: () => this.#retries.inc(labels),
      observeUnfinished: (read) => this.#unfinished.set(name, read),
    };
  }

  /** Pass as `KubeClient`'s `onRequest`. */
  readonly onRequest = (r: RequestRecord): void => {
    this.#restRequests.inc({ code: r.code, method: r.method, host: r.host });
  };

  /** Pass as the leader elector's `onLeadingChange`. */
  leaderStatus(name: string): (leading: boolean) => void {
    this.#leader.set({ name }, 0);
    return (leading) => this.#leader.set({ name }, leading ? 1 : 0);
  }
}
