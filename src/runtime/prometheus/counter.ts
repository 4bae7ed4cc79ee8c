/**
 * A Prometheus counter: per label set, a value that only goes up.
 *
 * @module
 */
import { checkNames, sampleLine } from "./_exposition.ts";
import { type LabelValues, SeriesMap } from "./_series_map.ts";
import type { Metric } from "./registry.ts";

/** Options of {@linkcode Counter}. */
export interface CounterOptions<L extends string> {
  /** The metric name, conventionally ending in `_total`. */
  readonly name: string;
  readonly help: string;
  /** Default none: one series, present at 0 from the start. */
  readonly labelNames?: readonly L[];
}

/** One series of a {@linkcode Counter}, looked up once. */
export interface CounterChild {
  /** Adds `by` (default 1). */
  inc(by?: number): void;
}

/**
 * A counter. A labelled series exists from its first `inc`; `inc(labels, 0)`
 * makes it appear at 0, so `rate()` and alerts see its first increment.
 */
export class Counter<L extends string = never> implements Metric {
  readonly name: string;
  readonly help: string;
  readonly type = "counter";
  readonly #series: SeriesMap<L, { value: number }>;

  /** @throws {TypeError} when the name or a label name is not valid in Prometheus. */
  constructor(options: CounterOptions<L>) {
    const labelNames = options.labelNames ?? [];
    checkNames(options.name, options.help, labelNames);
    this.name = options.name;
    this.help = options.help;
    this.#series = new SeriesMap(options.name, labelNames, () => ({ value: 0 }));
  }

  /**
   * Adds `by` (default 1) to the series of `labels`.
   *
   * @throws {RangeError} when `by` is negative or not finite;
   * {@linkcode TypeError} when a label is missing or unknown.
   */
  inc(labels: LabelValues<L>, by = 1): void {
    checkIncrement(this.name, by);
    this.#series.get(labels).value += by;
  }

  /**
   * The series of these label values (in label-name order), to increment
   * without looking it up each time.
   */
  labels(...values: Array<string | number>): CounterChild {
    const series = this.#series.byValues(values);
    return {
      inc: (by = 1) => {
        checkIncrement(this.name, by);
        series.value += by;
      },
    };
  }

  samples(): string[] {
    const lines: string[] = [];
    for (const [labels, { value }] of this.#series.entries()) {
      lines.push(sampleLine(this.name, labels, value));
    }
    return lines;
  }
}

function checkIncrement(name: string, by: number): void {
  if (!(by >= 0) || by === Infinity) {
    throw new RangeError(
      `Cannot increase counter "${name}" by ${by}: a counter only grows by finite amounts >= 0`,
    );
  }
}
