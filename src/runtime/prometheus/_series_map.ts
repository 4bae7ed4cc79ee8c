/**
 * The series of one metric, keyed by their label values: what Counter,
 * Gauge and Histogram share.
 *
 * @module
 */
import { escapeLabelValue } from "./_exposition.ts";

/** A value for each of a metric's label names. */
export type LabelValues<L extends string> = Readonly<Record<L, string | number>>;

/**
 * Series in the order they were first touched. The key of a series is its
 * rendered label pairs (`a="x",b="y"`, in label-name order): escaping makes
 * it unique per label set, and rendering needs it anyway.
 */
export class SeriesMap<L extends string, S> {
  readonly #metric: string;
  readonly #labelNames: readonly L[];
  readonly #create: () => S;
  readonly #series = new Map<string, S>();

  constructor(metric: string, labelNames: readonly L[], create: () => S) {
    this.#metric = metric;
    this.#labelNames = labelNames;
    this.#create = create;
    if (labelNames.length === 0) this.#series.set("", create());
  }

  /**
   * The series of `labels`, created on first use.
   *
   * @throws {TypeError} when a label name has no value or an unknown one is given.
   */
  get(labels: LabelValues<L>): S {
    const names = this.#labelNames;
    let key = "";
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const value = labels[name];
      if (value === undefined) {
        throw new TypeError(
          `Cannot record metric "${this.#metric}": label "${name}" has no value (labels: ${
            names.join(", ")
          })`,
        );
      }
      key += `${i === 0 ? "" : ","}${name}="${escapeLabelValue(String(value))}"`;
    }
    let series = this.#series.get(key);
    if (series === undefined) {
      const unknown = Object.keys(labels).find((k) => !names.includes(k as L));
      if (unknown !== undefined) {
        throw new TypeError(
          `Cannot record metric "${this.#metric}": label "${unknown}" is not one of its labels (${
            names.join(", ")
          })`,
        );
      }
      series = this.#create();
      this.#series.set(key, series);
    }
    return series;
  }

  /**
   * The series of label values given in label-name order.
   *
   * @throws {TypeError} when the number of values differs from the number of label names.
   */
  byValues(values: ReadonlyArray<string | number>): S {
    const names = this.#labelNames;
    if (values.length !== names.length) {
      throw new TypeError(
        `Cannot select a series of metric "${this.#metric}": got ${values.length} label values for ${names.length} labels (${
          names.join(", ")
        })`,
      );
    }
    const labels = {} as Record<L, string | number>;
    names.forEach((name, i) => labels[name] = values[i]!);
    return this.get(labels);
  }

  /** Drops every series (a label-less metric keeps its one series, fresh). */
  clear(): void {
    this.#series.clear();
    if (this.#labelNames.length === 0) this.#series.set("", this.#create());
  }

  /** `[renderedLabels, series]` in first-use order. */
  entries(): IterableIterator<[string, S]> {
    return this.#series.entries();
  }
}
