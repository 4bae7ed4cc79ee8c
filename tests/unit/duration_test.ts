import assert from "node:assert/strict";
import { formatDurationMs, parseDurationMs } from "../../src/duration.ts";

Deno.test("Go durations parse to milliseconds", () => {
  assert.equal(parseDurationMs("15s"), 15_000);
  assert.equal(parseDurationMs("1m30s"), 90_000);
  assert.equal(parseDurationMs("1h"), 3_600_000);
  assert.equal(parseDurationMs("500ms"), 500);
  assert.equal(parseDurationMs("1.5s"), 1500);
  assert.equal(parseDurationMs("0"), 0);
});

Deno.test("anything that is not a Go duration is undefined", () => {
  for (const bad of ["", "15", "s", "1d", "-1s", "1 s", "1s2", "abc"]) {
    assert.equal(parseDurationMs(bad), undefined, bad);
  }
});

Deno.test("durations format the way Go prints them", () => {
  assert.equal(formatDurationMs(90_000), "1m30s");
  assert.equal(formatDurationMs(500), "500ms");
  assert.equal(formatDurationMs(3_600_000), "1h0m");
  assert.equal(formatDurationMs(15_000), "15s");
});
