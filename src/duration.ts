/**
 * Go durations (`1h2m3.5s`, `500ms`, `.5s`, `-1.5h`), the form every
 * Kubernetes user already types for controller flags and annotations: the one
 * parser Vigil has for them, with Go's `time.ParseDuration` semantics exactly
 * (Go 1.26 `src/time/format.go`), and Go's `Duration.String` to print them.
 *
 * ## Guarantees
 * - {@link parseGoDuration} accepts exactly what `time.ParseDuration`
 *   accepts — `[-+]?([0-9]*(\.[0-9]*)?unit)+` with units `ns`, `us`, `µs`
 *   (U+00B5), `μs` (U+03BC), `ms`, `s`, `m`, `h`, or `0`, `+0`, `-0` without
 *   a unit — and returns the same nanoseconds, to the nanosecond, including
 *   Go's float64 rounding of fractions and its int64 range.
 * - Everything else throws a {@link DurationError} naming the value, what is
 *   wrong with it and what is accepted.
 *
 * @module
 */

/** What a Go duration looks like, for "accepted: …" in messages. */
export const DURATION_ACCEPTED =
  "a Go duration: numbers with units ns, us (µs), ms, s, m or h, such as 300ms, 1.5h or 2h45m";

const NS = 1n;
const US = 1_000n;
const MS = 1_000_000n;
const SECOND = 1_000_000_000n;
const MINUTE = 60n * SECOND;
const HOUR = 60n * MINUTE;

const UNIT_NS: ReadonlyMap<string, bigint> = new Map([
  ["ns", NS],
  ["us", US],
  ["µs", US], // U+00B5 micro sign
  ["μs", US], // U+03BC Greek small letter mu
  ["ms", MS],
  ["s", SECOND],
  ["m", MINUTE],
  ["h", HOUR],
]);

const TWO_63 = 1n << 63n;
const MAX_INT64 = TWO_63 - 1n;
const MAX_FRACTION = (TWO_63 - 1n) / 10n;

/** A text that is not a Go duration; the message names it and what is accepted. */
export class DurationError extends SyntaxError {
  override name = "DurationError";
  /** The text that was given. */
  readonly value: string;
  /** What is wrong with it, in Go's words (`unknown unit "d" in duration`). */
  readonly problem: string;

  /** Creates the error for `value`; `problem` says what is wrong. */
  constructor(value: string, problem: string) {
    super(
      `Cannot parse duration ${JSON.stringify(value)}: ${problem} (accepted: ${DURATION_ACCEPTED})`,
    );
    this.value = value;
    this.problem = problem;
  }
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/**
 * Parses a Go duration into nanoseconds, as Go's `time.ParseDuration`.
 *
 * @throws {DurationError} when `text` is not a Go duration or is outside
 * int64 nanoseconds (about ±292 years).
 *
 * @example
 * ```ts
 * import { parseGoDuration } from "./duration.ts";
 * console.assert(parseGoDuration("1h2m3.5s") === 3_723_500_000_000n);
 * console.assert(parseGoDuration(".5µs") === 500n);
 * ```
 */
export function parseGoDuration(text: string): bigint {
  const invalid = (problem = "not a duration") => new DurationError(text, problem);
  let s = text;
  let neg = false;
  if (s[0] === "-" || s[0] === "+") {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw invalid("no number");
  let d = 0n;
  while (s !== "") {
    if (!(s[0] === "." || isDigit(s[0]))) throw invalid(`"${s}" does not start with a number`);
    // [0-9]*, overflowing exactly where Go's leadingInt does.
    let i = 0;
    let v = 0n;
    for (; isDigit(s[i]); i++) {
      if (v > TWO_63 / 10n) throw invalid("out of range");
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > TWO_63) throw invalid("out of range");
    }
    const pre = i > 0;
    s = s.slice(i);
    // (\.[0-9]*)?, which stops gaining precision where Go's leadingFraction does.
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[0] === ".") {
      s = s.slice(1);
      let overflow = false;
      let j = 0;
      for (; isDigit(s[j]); j++) {
        if (overflow) continue;
        if (f > MAX_FRACTION) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
        if (y > TWO_63) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) throw invalid("a number needs a digit");
    let u = 0;
    while (u < s.length && s[u] !== "." && !isDigit(s[u])) u++;
    if (u === 0) throw invalid("missing unit");
    const unitText = s.slice(0, u);
    s = s.slice(u);
    const unit = UNIT_NS.get(unitText);
    if (unit === undefined) throw invalid(`unknown unit ${JSON.stringify(unitText)}`);
    if (v > TWO_63 / unit) throw invalid("out of range");
    v *= unit;
    if (f > 0n) {
      // float64, as in Go: nanosecond-exact for fractions of an hour.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > TWO_63) throw invalid("out of range");
    }
    d += v;
    if (d > TWO_63) throw invalid("out of range");
  }
  if (neg) return -d;
  if (d > MAX_INT64) throw invalid("out of range");
  return d;
}

/**
 * Parses a Go duration into milliseconds (fractional below 1 ms).
 *
 * @throws {DurationError} as {@link parseGoDuration}.
 *
 * @example
 * ```ts
 * import { parseDurationMs } from "./duration.ts";
 * console.assert(parseDurationMs("1m30s") === 90_000);
 * console.assert(parseDurationMs(".5s") === 500);
 * ```
 */
export function parseDurationMs(text: string): number {
  const ns = parseGoDuration(text);
  return Number(ns / MS) + Number(ns % MS) / 1e6;
}

/**
 * A positive Go duration in whole milliseconds (rounded), or `undefined`
 * when `text` is not a Go duration or not positive: for optional settings,
 * such as annotations, where a bad value falls back to a default.
 */
export function parsePositiveDurationMs(text: string): number | undefined {
  let ns: bigint;
  try {
    ns = parseGoDuration(text.trim());
  } catch (err) {
    if (err instanceof DurationError) return undefined;
    throw err;
  }
  const ms = Math.round(Number(ns) / 1e6);
  return ms > 0 ? ms : undefined;
}

/**
 * Prints nanoseconds as Go's `Duration.String` does (`1h0m0s`, `1.5s`,
 * `500ms`, `2µs`, `0s`); {@link parseGoDuration} reads it back exactly.
 */
export function formatGoDuration(ns: bigint): string {
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < SECOND) {
    if (u === 0n) return "0s";
    if (u < US) out = `${u}ns`;
    else if (u < MS) out = `${fraction(u, 3)}µs`;
    else out = `${fraction(u, 6)}ms`;
  } else {
    const seconds = `${fraction(u % MINUTE, 9)}s`;
    u /= MINUTE;
    out = u === 0n ? seconds : u < 60n ? `${u}m${seconds}` : `${u / 60n}h${u % 60n}m${seconds}`;
  }
  return neg ? `-${out}` : out;
}

/** `value / 10^digits` in decimal, without trailing zeros. */
function fraction(value: bigint, digits: number): string {
  const div = 10n ** BigInt(digits);
  const frac = (value % div).toString().padStart(digits, "0").replace(/0+$/, "");
  return `${value / div}${frac === "" ? "" : `.${frac}`}`;
}

/**
 * Prints milliseconds as Go prints the duration (`1m30s`, `500ms`, `1h0m0s`).
 *
 * @example
 * ```ts
 * import { formatDurationMs } from "./duration.ts";
 * console.assert(formatDurationMs(90_000) === "1m30s");
 * ```
 */
export function formatDurationMs(ms: number): string {
  return formatGoDuration(BigInt(Math.round(ms * 1e6)));
}
