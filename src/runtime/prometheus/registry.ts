/**
 * A registry of metrics rendered in Prometheus' text exposition format
 * (version 0.0.4), the body of `/metrics`.
 *
 * @module
 */
import { escapeHelp } from "./_exposition.ts";

/** The `content-type` of {@linkcode Registry.metrics}'s text. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The metric kinds of the text format that Vigil uses. */
export type MetricType = "counter" | "gauge" | "histogram";

/** What a {@linkcode Registry} renders: one metric family. */
export interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  /** The family's sample lines, read now (a gauge runs its collect callback first). */
  samples(): string[];
}

/**
 * Metric families by name, rendered in the order they were registered.
 *
 * @example
 * ```ts
 * import { Counter, Registry } from "./mod.ts";
 * const registry = new Registry();
 * const total = registry.register(
 *   new Counter({ name: "jobs_total", help: "Jobs run", labelNames: ["queue"] }),
 * );
 * total.inc({ queue: "mail" });
 * registry.metrics(); // "# HELP jobs_total Jobs run\n# TYPE jobs_total counter\njobs_total{queue=\"mail\"} 1\n"
 * ```
 */
export class Registry {
  readonly #metrics = new Map<string, Metric>();

  /** {@linkcode PROMETHEUS_CONTENT_TYPE}. */
  get contentType(): string {
    return PROMETHEUS_CONTENT_TYPE;
  }

  /**
   * Adds `metric` and returns it.
   *
   * @throws {Error} when a metric of the same name has already been registered.
   */
  register<M extends Metric>(metric: M): M {
    if (this.#metrics.has(metric.name)) {
      throw new Error(
        `Cannot register metric "${metric.name}": a metric of that name has already been registered`,
      );
    }
    this.#metrics.set(metric.name, metric);
    return metric;
  }

  /**
   * Every family as `# HELP`, `# TYPE` and its samples, families separated by
   * a blank line (the layout prom-client wrote), ending with a line feed.
   *
   * @throws whatever a gauge's collect callback throws.
   */
  metrics(): string {
    const families: string[] = [];
    for (const metric of this.#metrics.values()) {
      families.push(
        [
          `# HELP ${metric.name} ${escapeHelp(metric.help)}`,
          `# TYPE ${metric.name} ${metric.type}`,
          ...metric.samples(),
        ].join("\n"),
      );
    }
    return `${families.join("\n\n")}\n`;
  }
}
