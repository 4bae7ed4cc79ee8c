/**
 * `spec.backupSchedule` → the CronJob's `schedule`.
 *
 * Five-field schedules and the `@hourly`/`@daily`/… descriptors pass through
 * unchanged. `@every <duration>` is translated to five fields when the
 * interval divides an hour or a day evenly, so runs land on round clock times
 * like every other schedule (`@every 1h` → `0 * * * *`, `@every 15m` →
 * `*\/15 * * * *`, `@every 6h` → `0 *\/6 * * *`, `@every 24h` → `0 0 * * *`,
 * `@every 168h` → `0 0 * * 0`).
 *
 * Every other `@every` (`@every 90m`, `@every 36h`, `@every 45s`) has no
 * five-field equivalent and is passed through verbatim: the CronJob API
 * validates schedules with `robfig/cron`'s `ParseStandard`, which accepts
 * `@every`, and the CronJob controller then runs the job at that fixed
 * interval, counted from the CronJob's creation rather than aligned to the clock.
 *
 * @module
 */
import { parseGoDuration } from "../../database/mod.ts";

const MINUTE_NS = 60e9;
const HOUR_NS = 60 * MINUTE_NS;
const DAY_NS = 24 * HOUR_NS;

/**
 * Returns the CronJob schedule for a Database's backup schedule.
 *
 * @example
 * ```ts
 * import { cronJobSchedule } from "./backup_schedule.ts";
 * cronJobSchedule("@every 1h"); // "0 * * * *"
 * cronJobSchedule("@every 90m"); // "@every 90m"
 * cronJobSchedule("30 2 * * *"); // "30 2 * * *"
 * ```
 */
export function cronJobSchedule(schedule: string): string {
  if (!schedule.startsWith("@every ")) return schedule;
  const ns = parseGoDuration(schedule.slice("@every ".length));
  if (ns === undefined) return schedule;
  // robfig/cron drops the sub-second part of an @every interval.
  const seconds = Math.floor(ns / 1e9);
  const interval = seconds * 1e9;
  if (interval === 7 * DAY_NS) return "0 0 * * 0";
  if (interval === DAY_NS) return "0 0 * * *";
  if (interval > 0 && interval % HOUR_NS === 0) {
    const hours = interval / HOUR_NS;
    if (24 % hours === 0) return hours === 1 ? "0 * * * *" : `0 */${hours} * * *`;
    return schedule;
  }
  if (interval > 0 && interval % MINUTE_NS === 0) {
    const minutes = interval / MINUTE_NS;
    if (60 % minutes === 0) return minutes === 1 ? "* * * * *" : `*/${minutes} * * * *`;
  }
  return schedule;
}
