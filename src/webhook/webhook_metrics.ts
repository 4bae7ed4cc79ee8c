/**
 * Webhook request metrics under controller-runtime's names, so that existing
 * dashboards for Go operators chart Vigil unchanged:
 *
 * - `controller_runtime_webhook_requests_total{webhook,code}` (counter)
 * - `controller_runtime_webhook_requests_in_flight{webhook}` (gauge)
 * - `controller_runtime_webhook_latency_seconds{webhook}` (histogram)
 *
 * `webhook` is the route path; `code` the HTTP status code of the answer.
 *
 * @module
 */
import type * as PromClient from "prom-client";
import { Counter, Gauge, Histogram, type Registry } from "../observability/prom.ts";

/** Ends an observation with the HTTP status code that was sent. */
export type RequestDone = (code: number) => void;

/** What the webhook server reports about each request to a registered route. */
export interface WebhookMetrics {
  /** Marks a request to `webhook` as started; call the result once it is answered. */
  requestStarted(webhook: string): RequestDone;
}

/** {@linkcode WebhookMetrics} that records nothing; the server's default. */
export const noopWebhookMetrics: WebhookMetrics = Object.freeze({
  requestStarted: () => () => {},
});

/**
 * Webhook metrics on a prom-client registry, or {@linkcode noopWebhookMetrics}
 * when no registry is given.
 *
 * @throws {Error} (from prom-client) when the registry already holds metrics
 * with these names.
 *
 * @example
 * ```ts ignore
 * const registry = new Registry();
 * const server = new WebhookServer({ certSource, metrics: createWebhookMetrics(registry) });
 * ```
 */
export function createWebhookMetrics(registry?: Registry): WebhookMetrics {
  return registry === undefined ? noopWebhookMetrics : new PrometheusWebhookMetrics(registry);
}

/** {@linkcode WebhookMetrics} backed by prom-client. */
export class PrometheusWebhookMetrics implements WebhookMetrics {
  #total: Counter<"webhook" | "code">;
  #inFlight: Gauge<"webhook">;
  #latency: Histogram<"webhook">;
  #routes = new Map<string, {
    inFlight: PromClient.Gauge.Internal<"webhook">;
    latency: PromClient.Histogram.Internal<"webhook">;
    byCode: Map<number, PromClient.Counter.Internal>;
  }>();

  /**
   * Registers the three metrics on `registry`.
   *
   * @throws {Error} when the registry already holds metrics with these names.
   */
  constructor(registry: Registry) {
    this.#total = new Counter({
      name: "controller_runtime_webhook_requests_total",
      help: "Total number of admission requests by HTTP status code.",
      labelNames: ["webhook", "code"],
      registers: [registry],
    });
    this.#inFlight = new Gauge({
      name: "controller_runtime_webhook_requests_in_flight",
      help: "Current number of admission requests being served.",
      labelNames: ["webhook"],
      registers: [registry],
    });
    // prom-client's default buckets equal Prometheus' DefBuckets, which
    // controller-runtime uses for this histogram.
    this.#latency = new Histogram({
      name: "controller_runtime_webhook_latency_seconds",
      help: "Histogram of the latency of processing admission requests",
      labelNames: ["webhook"],
      registers: [registry],
    });
  }

  /**
   * Counts the request in flight until the returned function is called.
   * The labelled children are looked up once per path and code: prom-client
   * hashes a label object on every call otherwise.
   */
  requestStarted(webhook: string): RequestDone {
    let route = this.#routes.get(webhook);
    if (route === undefined) {
      route = {
        inFlight: this.#inFlight.labels(webhook),
        latency: this.#latency.labels(webhook),
        byCode: new Map(),
      };
      this.#routes.set(webhook, route);
    }
    const { inFlight, latency, byCode } = route;
    inFlight.inc();
    const started = performance.now();
    let done = false;
    return (code) => {
      if (done) return;
      done = true;
      latency.observe((performance.now() - started) / 1000);
      inFlight.dec();
      let total = byCode.get(code);
      if (total === undefined) {
        total = this.#total.labels(webhook, String(code));
        byCode.set(code, total);
      }
      total.inc();
    };
  }
}
