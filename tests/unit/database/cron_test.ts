import assert from "node:assert/strict";
import { backupScheduleField } from "../../../src/database/schema_common.ts";
import { checkCron, isValidCron, parseGoDuration } from "../../../src/database/cron.ts";

Deno.test("five-field schedules with lists, ranges, steps and names are accepted", () => {
  for (
    const ok of [
      "0 3 * * *",
      "*/15 * * * *",
      "0 0 1,15 * *",
      "0 2-4 * * MON-FRI",
      "30 1 * JAN,jul sun",
      "5/10 * ? * *",
      "0 0 * * 0",
      "59 23 31 12 6",
    ]
  ) {
    assert.equal(isValidCron(ok), true, ok);
  }
});

Deno.test("descriptors and @every with a Go duration are accepted", () => {
  for (
    const ok of ["@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually", "@midnight"]
  ) {
    assert.equal(isValidCron(ok), true, ok);
  }
  assert.equal(isValidCron("@every 1h30m"), true);
  assert.equal(isValidCron("@every 90s"), true);
  assert.equal(isValidCron("@every 1.5h"), true);
});

Deno.test("invalid schedules say why", () => {
  const cases: [string, RegExp][] = [
    ["", /non-empty/],
    ["* * * *", /expected 5 fields, found 4/],
    ["* * * * * *", /expected 5 fields, found 6/],
    ["60 * * * *", /minute value 60 is outside 0-59/],
    ["* 24 * * *", /hour value 24/],
    ["* * 0 * *", /day-of-month value 0/],
    ["* * * 13 *", /month value 13/],
    ["* * * * 7", /day-of-week value 7/],
    ["*/0 * * * *", /step must be at least 1/],
    ["5-1 * * * *", /starts after it ends/],
    ["? * * * *", /only allowed in day-of-month/],
    ["* * * FOO *", /not a number or a name/],
    ["@reboot", /unknown descriptor/],
    ["@every 5", /Go duration/],
    ["@every 500ms", /at least 1s/],
    ["TZ=UTC 0 3 * * *", /time zones/],
  ];
  for (const [schedule, reason] of cases) {
    const result = checkCron(schedule);
    assert.equal(result.ok, false, schedule);
    if (!result.ok) assert.match(result.reason, reason, schedule);
  }
});

Deno.test("Go durations parse into nanoseconds", () => {
  assert.equal(parseGoDuration("1h30m"), 5400e9);
  assert.equal(parseGoDuration("250ms"), 250e6);
  assert.equal(parseGoDuration("1x"), undefined);
  assert.equal(parseGoDuration(""), undefined);
});

Deno.test("the CRD's schedule pattern lets through every @every form Go's ParseDuration reads", () => {
  for (
    const text of ["@every .5h", "@every 5.h", "@every 1h0.5m", "@every 2000000μs", "@every 90s"]
  ) {
    assert.equal(isValidCron(text), true, text);
    assert.equal(backupScheduleField.safeParse(text).success, true, `pattern refused ${text}`);
  }
});
