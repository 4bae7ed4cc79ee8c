/**
 * The pieces of Prometheus' text exposition format 0.0.4 that every metric
 * kind shares: name checks, escaping and sample values.
 *
 * @module
 */

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Checks a metric's name, help and label names once, when it is created.
 *
 * @throws {TypeError} naming the value and what is accepted.
 */
export function checkNames(name: string, help: string, labelNames: readonly string[]): void {
  if (!METRIC_NAME.test(name)) {
    throw new TypeError(
      `Cannot create metric "${name}": a metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*`,
    );
  }
  if (help === "") throw new TypeError(`Cannot create metric "${name}": help must not be empty`);
  const seen = new Set<string>();
  for (const label of labelNames) {
    if (!LABEL_NAME.test(label) || label.startsWith("__")) {
      throw new TypeError(
        `Cannot create metric "${name}": label name "${label}" must match [a-zA-Z_][a-zA-Z0-9_]* and not start with "__"`,
      );
    }
    if (seen.has(label)) {
      throw new TypeError(`Cannot create metric "${name}": label name "${label}" appears twice`);
    }
    seen.add(label);
  }
}

/** HELP text: backslash and line feed escaped. */
export function escapeHelp(text: string): string {
  return /[\\\n]/.test(text) ? text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n") : text;
}

/** A label value: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value)
    ? value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')
    : value;
}

/** A sample value as Go's `strconv.ParseFloat` reads it back: `NaN`, `+Inf`, `-Inf` or the number. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** One sample line; `labels` is the rendered pairs without braces (may be empty). */
export function sampleLine(name: string, labels: string, value: number): string {
  return labels === ""
    ? `${name} ${formatValue(value)}`
    : `${name}{${labels}} ${formatValue(value)}`;
}
