/**
 * Cron schedule validation with the grammar Kubernetes CronJobs accept
 * (`robfig/cron` v3 `ParseStandard`): five fields, a descriptor such as
 * `@daily`, or `@every <Go duration>`.
 *
 * @module
 */
import { DurationError, parseGoDuration as parseGoDurationNs } from "../duration.ts";

/** Descriptors accepted in place of five fields. */
export const CRON_DESCRIPTORS: readonly string[] = [
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
];

/** What a valid schedule looks like, for error messages. */
export const CRON_ACCEPTED =
  '5 cron fields (minute hour day-of-month month day-of-week, e.g. "0 3 * * *"), ' +
  "one of @yearly @annually @monthly @weekly @daily @midnight @hourly, " +
  'or "@every <duration>" (e.g. "@every 6h30m")';

/** Outcome of {@linkcode checkCron}: ok, or the reason the schedule is invalid. */
export type CronCheck = { ok: true } | { ok: false; reason: string };

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "day-of-week", min: 0, max: 6, names: DAYS },
];

/**
 * Parses a Go duration (`1h30m`, `90s`, `1.5h`, `.5h`) into nanoseconds, with
 * the one Go-duration parser (`src/duration.ts`, Go's `time.ParseDuration`).
 *
 * Returns `undefined` when the text is not a Go duration. Signs are not accepted:
 * a schedule interval is always positive.
 */
export function parseGoDuration(text: string): number | undefined {
  if (text.startsWith("-") || text.startsWith("+")) return undefined;
  try {
    return Number(parseGoDurationNs(text));
  } catch (err) {
    if (err instanceof DurationError) return undefined;
    throw err;
  }
}

function parseValue(text: string, spec: FieldSpec): number | string {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    if (n < spec.min || n > spec.max) {
      return `${spec.name} value ${n} is outside ${spec.min}-${spec.max}`;
    }
    return n;
  }
  const index = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index >= 0) return index + (spec.name === "month" ? 1 : 0);
  return `${spec.name} value "${text}" is not a number` +
    (spec.names ? ` or a name (${spec.names.join(",")})` : "");
}

function checkField(text: string, spec: FieldSpec): string | undefined {
  for (const part of text.split(",")) {
    const [range = "", step, extra] = part.split("/");
    if (extra !== undefined) return `${spec.name} "${part}" has more than one "/"`;
    if (step !== undefined && !/^[0-9]+$/.test(step)) {
      return `${spec.name} step "${step}" is not a number`;
    }
    if (step !== undefined && Number(step) === 0) return `${spec.name} step must be at least 1`;
    if (range === "*" || range === "?") {
      if (range === "?" && spec.name !== "day-of-month" && spec.name !== "day-of-week") {
        return `"?" is only allowed in day-of-month and day-of-week`;
      }
      continue;
    }
    const bounds = range.split("-");
    if (bounds.length > 2) return `${spec.name} range "${range}" has more than one "-"`;
    const values: number[] = [];
    for (const bound of bounds) {
      const value = parseValue(bound, spec);
      if (typeof value === "string") return value;
      values.push(value);
    }
    const [low = 0, high = low] = values;
    if (low > high) return `${spec.name} range "${range}" starts after it ends`;
  }
  return undefined;
}

/**
 * Checks a cron schedule and says why it is invalid.
 *
 * @example
 * ```ts
 * import { checkCron } from "./cron.ts";
 * checkCron("*\/15 2-4 * JAN-MAR MON").ok; // true
 * checkCron("61 * * * *").ok; // false
 * ```
 */
export function checkCron(schedule: string): CronCheck {
  const text = schedule.trim();
  if (text !== schedule || text === "") {
    return { ok: false, reason: "schedule must be non-empty without surrounding spaces" };
  }
  if (text.startsWith("@every ")) {
    const ns = parseGoDuration(text.slice("@every ".length));
    if (ns === undefined) {
      return { ok: false, reason: "@every needs a Go duration such as 30m or 1h30m" };
    }
    if (ns < 1e9) return { ok: false, reason: "@every interval must be at least 1s" };
    return { ok: true };
  }
  if (text.startsWith("@")) {
    return CRON_DESCRIPTORS.includes(text)
      ? { ok: true }
      : { ok: false, reason: `unknown descriptor "${text}"` };
  }
  if (/^(CRON_)?TZ=/.test(text)) {
    return { ok: false, reason: "time zones are not accepted in the schedule" };
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5) {
    return { ok: false, reason: `expected 5 fields, found ${fields.length}` };
  }
  for (const [i, spec] of FIELDS.entries()) {
    const problem = checkField(fields[i] ?? "", spec);
    if (problem !== undefined) return { ok: false, reason: problem };
  }
  return { ok: true };
}

/** Returns true when `schedule` is a valid cron schedule (see {@linkcode checkCron}). */
export function isValidCron(schedule: string): boolean {
  return checkCron(schedule).ok;
}
