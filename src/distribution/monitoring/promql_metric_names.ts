/**
 * The metric names a PromQL expression selects, found by a small tokenizer:
 * enough for the expressions Vigil ships (selectors, functions,
 * aggregations with `by`/`without`, vector matching, Grafana's `$variables`
 * inside strings and ranges), so a test can check each name is exported.
 *
 * @module
 */

/** Words PromQL reserves; never metric names where they appear. */
const KEYWORDS = new Set([
  "and",
  "or",
  "unless",
  "bool",
  "offset",
  "atan2",
  "inf",
  "nan",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
]);

/** Keywords whose parenthesised list holds label names. */
const LABEL_LISTS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);

const STRING = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;
const TOKEN = /\s+|\{[^}]*\}|\[[^\]]*\]|[a-zA-Z_:][a-zA-Z0-9_:]*|[0-9][0-9a-zA-Z_.]*|\$\w+|./gs;

/**
 * Metric names selected by `expr`, in order of first appearance.
 *
 * @example
 * ```ts
 * import { promqlMetricNames } from "./promql_metric_names.ts";
 * const names = promqlMetricNames('sum by (le) (rate(a_bucket{job="x"}[5m])) / on (le) b');
 * console.assert(names.join() === "a_bucket,b");
 * ```
 */
export function promqlMetricNames(expr: string): string[] {
  // Strings first: a `}` or `]` inside a label value must not end a matcher.
  const tokens = (expr.replace(STRING, '""').match(TOKEN) ?? []).filter((t) => !/^\s+$/.test(t));
  const names: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!/^[a-zA-Z_:]/.test(token)) continue;
    const next = tokens[i + 1];
    if (LABEL_LISTS.has(token) && next === "(") {
      while (i < tokens.length && tokens[i] !== ")") i++;
      continue;
    }
    // A call, or an aggregation written `sum by (…) (…)`.
    const call = next === "(" || ((next === "by" || next === "without") && tokens[i + 2] === "(");
    if (KEYWORDS.has(token.toLowerCase()) || call) continue;
    if (!names.includes(token)) names.push(token);
  }
  return names;
}
