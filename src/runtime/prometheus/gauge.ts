/**
 * A Prometheus gauge: per label set, a value that goes up and down, set as
 * things happen or read at scrape time by a collect callback.
 *
 * @module
 */
import { checkNames, sampleLine } from "./_exposition.ts";
import { type LabelValues, SeriesMap } from "./_series_map.ts";
import type { Metric } from "./registry.ts";

/** Options of {@linkcode Gauge}. */
export interface GaugeOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  /** Default none: one series, present at 0 from the start. */
  readonly labelNames?: readonly L[];
  /**
   * Called at every scrape before the samples are read, to set them from
   * the current state (e.g. `reset()` then one `set` per cached object, so
   * the series of an object that is gone disappear). Must not be async.
   */
  readonly collect?: (gauge: Gauge<L>) => void;
}

/** One series of a {@linkcode Gauge}, looked up once. */
export interface GaugeChild {
  set(value: number): void;
  /** Adds `by` (default 1). */
  inc(by?: number): void;
  /** Subtracts `by` (default 1). */
  dec(by?: number): void;
}

/** A gauge. A labelled series exists from its first `set`, `inc` or `dec`. */
export class Gauge<L extends string = never> implements Metric {
  readonly name: string;
  readonly help: string;
  readonly type = "gauge";
  readonly #series: SeriesMap<L, { value: number }>;
  readonly #collect: ((gauge: Gauge<L>) => void) | undefined;

  /** @throws {TypeError} when the name or a label name is not valid in Prometheus. */
  constructor(options: GaugeOptions<L>) {
    const labelNames = options.labelNames ?? [];
    checkNames(options.name, options.help, labelNames);
    this.name = options.name;
    this.help = options.help;
    this.#collect = options.collect;
    this.#series = new SeriesMap(options.name, labelNames, () => ({ value: 0 }));
  }

  /** Sets the series of `labels` to `value`. @throws {TypeError} when a label is missing or unknown. */
  set(labels: LabelValues<L>, value: number): void {
    this.#series.get(labels).value = value;
  }

  /** Adds `by` (default 1). @throws {TypeError} when a label is missing or unknown. */
  inc(labels: LabelValues<L>, by = 1): void {
    this.#series.get(labels).value += by;
  }

  /** Subtracts `by` (default 1). @throws {TypeError} when a label is missing or unknown. */
  dec(labels: LabelValues<L>, by = 1): void {
    this.#series.get(labels).value -= by;
  }

  /** Drops every labelled series (a label-less gauge goes back to 0). */
  reset(): void {
    this.#series.clear();
  }

  /** The series of these label values (in label-name order), to update without looking it up. */
  labels(...values: Array<string | number>): GaugeChild {
    const series = this.#series.byValues(values);
    return {
      set: (value) => series.value = value,
      inc: (by = 1) => series.value += by,
      dec: (by = 1) => series.value -= by,
    };
  }

  samples(): string[] {
    this.#collect?.(this);
    const lines: string[] = [];
    for (const [labels, { value }] of this.#series.entries()) {
      lines.push(sampleLine(this.name, labels, value));
    }
    return lines;
  }
}
