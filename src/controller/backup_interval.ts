/**
 * The longest time a backup schedule leaves between two runs, so an alert can
 * say a Database's last backup is older than its schedule allows.
 *
 * Runs are computed the way Kubernetes' CronJob controller computes them
 * (`robfig/cron` v3 `ParseStandard`): `@every <d>` is `d` apart; five
 * fields match a minute when minute, hour and month match and — if neither
 * day field is a bare `*` or `?` — day-of-month OR day-of-week matches, else
 * both. Times are UTC: a controller-manager in a time zone with daylight
 * saving can move a run by an hour, which the alert's grace absorbs.
 *
 * @module
 */
import { CRON_DESCRIPTORS, parseGoDuration } from "../database/mod.ts";

const DESCRIPTOR_FIELDS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const NAMES: Readonly<Record<number, readonly string[]>> = {
  3: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  4: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
};
const BOUNDS: readonly (readonly [number, number])[] = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 6]];

/** The Gregorian calendar repeats (weekdays included) every 400 years. */
const CYCLE_DAYS = 146_097;

interface Field {
  readonly values: ReadonlySet<number>;
  /** A bare `*` or `?` (robfig's star bit: a step above 1 clears it). */
  readonly star: boolean;
}

function value(text: string, index: number): number {
  const named = NAMES[index]?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return named + (index === 3 ? 1 : 0);
  return Number(text);
}

function parseField(text: string, index: number): Field | undefined {
  const [min, max] = BOUNDS[index]!;
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(",")) {
    const [range = "", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    let low: number;
    let high: number;
    if (range === "*" || range === "?") {
      [low, high] = [min, max];
      if (step <= 1) star = true;
    } else {
      const [a = "", b] = range.split("-");
      low = value(a, index);
      high = b !== undefined ? value(b, index) : stepText !== undefined ? max : low;
    }
    if (![low, high, step].every(Number.isInteger) || step < 1) return undefined;
    for (let v = low; v <= high; v += step) values.add(v);
  }
  return { values, star };
}

/**
 * Seconds of the longest gap between two consecutive runs of `schedule`, or
 * `undefined` when the schedule never runs (e.g. `0 0 30 2 *`) or is not a
 * schedule this function understands (the webhook rejects those anyway).
 *
 * @example
 * ```ts
 * import { longestBackupIntervalSeconds } from "./backup_interval.ts";
 * console.assert(longestBackupIntervalSeconds("0 3 * * *") === 86_400);
 * console.assert(longestBackupIntervalSeconds("0 3 * * 1-5") === 3 * 86_400); // Fri → Mon
 * console.assert(longestBackupIntervalSeconds("@every 6h30m") === 23_400);
 * ```
 */
export function longestBackupIntervalSeconds(schedule: string): number | undefined {
  if (schedule.startsWith("@every ")) {
    const ns = parseGoDuration(schedule.slice("@every ".length));
    return ns === undefined || ns < 1e9 ? undefined : Math.floor(ns / 1e9);
  }
  const text = CRON_DESCRIPTORS.includes(schedule) ? DESCRIPTOR_FIELDS[schedule]! : schedule;
  const parts = text.split(/\s+/);
  if (parts.length !== 5) return undefined;
  const fields = parts.map(parseField);
  if (fields.some((f) => f === undefined)) return undefined;
  const [minutes, hours, dom, month, dow] = fields as [Field, Field, Field, Field, Field];
  const times = [...hours.values].flatMap((h) => [...minutes.values].map((m) => h * 60 + m))
    .sort((a, b) => a - b);
  if (times.length === 0) return undefined;
  let longestMinutes = 0;
  for (let i = 1; i < times.length; i++) {
    longestMinutes = Math.max(longestMinutes, times[i]! - times[i - 1]!);
  }
  const first = times[0]!;
  const last = times.at(-1)!;
  const either = !dom.star && !dow.star;
  let firstDay: number | undefined;
  let previousDay: number | undefined;
  // Day 0 is 2000-01-01, a Saturday; plain arithmetic, as this walks 146 097 days.
  let day = 0;
  for (let year = 2000; year < 2400; year++) {
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    for (let m = 1; m <= 12; m++) {
      const length = m === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
      if (!month.values.has(m)) {
        day += length;
        continue;
      }
      for (let date = 1; date <= length; date++, day++) {
        const domMatch = dom.values.has(date);
        const dowMatch = dow.values.has((day + 6) % 7);
        if (either ? !(domMatch || dowMatch) : !(domMatch && dowMatch)) continue;
        firstDay ??= day;
        if (previousDay !== undefined) {
          longestMinutes = Math.max(longestMinutes, (day - previousDay) * 1440 - last + first);
        }
        previousDay = day;
      }
    }
  }
  if (firstDay === undefined || previousDay === undefined) return undefined;
  // The gap across the end of one 400-year cycle into the next.
  longestMinutes = Math.max(
    longestMinutes,
    (firstDay + CYCLE_DAYS - previousDay) * 1440 - last + first,
  );
  return longestMinutes * 60;
}
