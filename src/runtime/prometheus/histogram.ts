/**
 * A Prometheus histogram: per label set, counts of observations at or below
 * each bucket's upper bound, their sum and their count.
 *
 * @module
 */
import { checkNames, formatValue, sampleLine } from "./_exposition.ts";
import { type LabelValues, SeriesMap } from "./_series_map.ts";
import type { Metric } from "./registry.ts";

/** Prometheus' `DefBuckets` (and prom-client's default): 5 ms to 10 s. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
]);

/** Options of {@linkcode Histogram}. */
export interface HistogramOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  /** Default none: one series, present (all zero) from the start. `le` is reserved. */
  readonly labelNames?: readonly L[];
  /** Upper bounds, strictly increasing; `+Inf` is always added. Default {@linkcode DEFAULT_BUCKETS}. */
  readonly buckets?: readonly number[];
}

/** One series of a {@linkcode Histogram}, looked up once. */
export interface HistogramChild {
  observe(value: number): void;
}

interface Series {
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** A histogram with fixed buckets. */
export class Histogram<L extends string = never> implements Metric {
  readonly name: string;
  readonly help: string;
  readonly type = "histogram";
  readonly #bounds: readonly number[];
  /** `le="<bound>"` per bound, then `le="+Inf"`. */
  readonly #le: readonly string[];
  readonly #series: SeriesMap<L, Series>;

  /**
   * @throws {TypeError} when the name or a label name is not valid in
   * Prometheus or is `le`; {@linkcode RangeError} when the buckets are not
   * finite and strictly increasing.
   */
  constructor(options: HistogramOptions<L>) {
    const labelNames = options.labelNames ?? [];
    checkNames(options.name, options.help, labelNames);
    if ((labelNames as readonly string[]).includes("le")) {
      throw new TypeError(`Cannot create histogram "${options.name}": "le" is a reserved label`);
    }
    const bounds = [...(options.buckets ?? DEFAULT_BUCKETS)];
    if (bounds.at(-1) === Infinity) bounds.pop();
    bounds.forEach((bound, i) => {
      if (!Number.isFinite(bound) || (i > 0 && bound <= bounds[i - 1]!)) {
        throw new RangeError(
          `Cannot create histogram "${options.name}": buckets [${
            bounds.join(", ")
          }] must be finite and strictly increasing`,
        );
      }
    });
    this.name = options.name;
    this.help = options.help;
    this.#bounds = bounds;
    this.#le = [...bounds.map((b) => `le="${formatValue(b)}"`), 'le="+Inf"'];
    this.#series = new SeriesMap(
      options.name,
      labelNames,
      () => ({ counts: new Array(bounds.length + 1).fill(0), sum: 0, count: 0 }),
    );
  }

  /**
   * Records `value` in the series of `labels`.
   *
   * @throws {RangeError} when `value` is not finite; {@linkcode TypeError}
   * when a label is missing or unknown.
   */
  observe(labels: LabelValues<L>, value: number): void {
    this.#checkValue(value);
    this.#record(this.#series.get(labels), value);
  }

  /** The series of these label values (in label-name order), to observe without looking it up. */
  labels(...values: Array<string | number>): HistogramChild {
    const series = this.#series.byValues(values);
    return {
      observe: (value) => {
        this.#checkValue(value);
        this.#record(series, value);
      },
    };
  }

  #checkValue(value: number): void {
    if (!Number.isFinite(value)) {
      throw new RangeError(`Cannot observe ${value} in histogram "${this.name}": not finite`);
    }
  }

  #record(series: Series, value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    series.counts[i]!++;
    series.sum += value;
    series.count++;
  }

  /** Cumulative `_bucket` lines (`le` first), then `_sum` and `_count`, per series. */
  samples(): string[] {
    const lines: string[] = [];
    const bucket = `${this.name}_bucket`;
    for (const [labels, { counts, sum, count }] of this.#series.entries()) {
      const rest = labels === "" ? "" : `,${labels}`;
      let cumulative = 0;
      for (let i = 0; i < this.#le.length; i++) {
        cumulative += counts[i]!;
        lines.push(sampleLine(bucket, `${this.#le[i]}${rest}`, cumulative));
      }
      lines.push(sampleLine(`${this.name}_sum`, labels, sum));
      lines.push(sampleLine(`${this.name}_count`, labels, count));
    }
    return lines;
  }
}
