import assert from "node:assert/strict";
import { longestBackupIntervalSeconds } from "../../../src/controller/backup_interval.ts";

const HOUR = 3600;
const DAY = 86_400;

Deno.test("the longest gap of a schedule, the way robfig/cron runs it", () => {
  const cases: Array<[string, number | undefined]> = [
    ["0 3 * * *", DAY],
    ["@daily", DAY],
    ["@midnight", DAY],
    ["@hourly", HOUR],
    ["@weekly", 7 * DAY],
    ["*/15 * * * *", 15 * 60],
    ["0 */6 * * *", 6 * HOUR],
    ["0 1,23 * * *", 22 * HOUR], // 01:00 → 23:00 the same day
    ["30 2 * * 1-5", 3 * DAY], // Friday → Monday
    ["0 0 * * SUN", 7 * DAY],
    ["0 0 1 * *", 31 * DAY], // the longest month
    ["@monthly", 31 * DAY],
    ["@yearly", 366 * DAY], // across a leap day
    ["0 0 1/10 * *", 10 * DAY], // the 21st → the 1st of the next month, after a 30-day month
    ["0 0 29 2 *", 8 * 365 * DAY + DAY], // 2096 → 2104: 2100 is not a leap year
    ["0 0 13 * 5", 7 * DAY], // the 13th OR a Friday: both day fields restricted
    ["0 0 */2 * 5", 2 * DAY], // a step above 1 clears the star: odd days OR Fridays (AND: weeks)
    ["0 0 * * ?", DAY],
    ["0 0 30 2 *", undefined], // never runs
    ["@every 6h30m", 6 * HOUR + 30 * 60],
    ["@every 90s", 90],
    ["not a schedule", undefined],
  ];
  for (const [schedule, expected] of cases) {
    assert.equal(longestBackupIntervalSeconds(schedule), expected, schedule);
  }
});
