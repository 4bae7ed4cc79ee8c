import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DURATION_ACCEPTED,
  DurationError,
  formatDurationMs,
  formatGoDuration,
  parseDurationMs,
  parseGoDuration,
  parsePositiveDurationMs,
} from "../../src/duration.ts";

const NS = 1n;
const US = 1_000n;
const MS = 1_000_000n;
const S = 1_000_000_000n;
const M = 60n * S;
const H = 60n * M;

/** Go 1.26's `parseDurationTests` (src/time/time_test.go), verbatim. */
const GO_PARSE_TESTS: ReadonlyArray<readonly [string, bigint]> = [
  // simple
  ["0", 0n],
  ["5s", 5n * S],
  ["30s", 30n * S],
  ["1478s", 1478n * S],
  // sign
  ["-5s", -5n * S],
  ["+5s", 5n * S],
  ["-0", 0n],
  ["+0", 0n],
  // decimal
  ["5.0s", 5n * S],
  ["5.6s", 5n * S + 600n * MS],
  ["5.s", 5n * S],
  [".5s", 500n * MS],
  ["1.0s", 1n * S],
  ["1.00s", 1n * S],
  ["1.004s", 1n * S + 4n * MS],
  ["1.0040s", 1n * S + 4n * MS],
  ["100.00100s", 100n * S + 1n * MS],
  // different units
  ["10ns", 10n * NS],
  ["11us", 11n * US],
  ["12µs", 12n * US], // U+00B5
  ["12μs", 12n * US], // U+03BC
  ["13ms", 13n * MS],
  ["14s", 14n * S],
  ["15m", 15n * M],
  ["16h", 16n * H],
  // composite durations
  ["3h30m", 3n * H + 30n * M],
  ["10.5s4m", 4n * M + 10n * S + 500n * MS],
  ["-2m3.4s", -(2n * M + 3n * S + 400n * MS)],
  ["1h2m3s4ms5us6ns", 1n * H + 2n * M + 3n * S + 4n * MS + 5n * US + 6n * NS],
  ["39h9m14.425s", 39n * H + 9n * M + 14n * S + 425n * MS],
  // large value
  ["52763797000ns", 52763797000n * NS],
  // more than 9 digits after decimal point, see https://golang.org/issue/6617
  ["0.3333333333333333333h", 20n * M],
  // 9007199254740993 = 1<<53+1 cannot be stored precisely in a float64
  ["9007199254740993ns", ((1n << 53n) + 1n) * NS],
  // largest duration that can be represented by int64 in nanoseconds
  ["9223372036854775807ns", (1n << 63n) - 1n],
  ["9223372036854775.807us", (1n << 63n) - 1n],
  ["9223372036s854ms775us807ns", (1n << 63n) - 1n],
  ["-9223372036854775808ns", -(1n << 63n)],
  ["-9223372036854775.808us", -(1n << 63n)],
  ["-9223372036s854ms775us808ns", -(1n << 63n)],
  // largest negative value
  ["-9223372036854775808ns", -(1n << 63n)],
  // largest negative round trip value, see https://golang.org/issue/48629
  ["-2562047h47m16.854775808s", -(1n << 63n)],
  // huge string; issue 15011.
  ["0.100000000000000000000h", 6n * M],
  // This value tests the first overflow check in leadingFraction.
  ["0.830103483285477580700h", 49n * M + 48n * S + 372539827n * NS],
];

/**
 * Go 1.26's `parseDurationErrorTests`, except the three that hold bytes that
 * are not UTF-8 (a JavaScript string cannot carry them).
 */
const GO_ERROR_TESTS: readonly string[] = [
  // invalid
  "",
  "3",
  "-",
  "s",
  ".",
  "-.",
  ".s",
  "+.s",
  "1d",
  "\uFFFD",
  "\uFFFD hello \uFFFD world",
  // overflow
  "9223372036854775810ns",
  "9223372036854775808ns",
  "-9223372036854775809ns",
  "9223372036854776us",
  "3000000h",
  "9223372036854775.808us",
  "9223372036854ms775us808ns",
];

Deno.test("Go duration parser returns Go's nanoseconds for every case of Go's own test table", () => {
  for (const [text, want] of GO_PARSE_TESTS) {
    assert.equal(parseGoDuration(text), want, text);
  }
});

Deno.test("Go duration parser refuses every invalid or overflowing case of Go's own table", () => {
  for (const text of GO_ERROR_TESTS) {
    assert.throws(() => parseGoDuration(text), DurationError, JSON.stringify(text));
  }
});

Deno.test("a refused duration names the value, what is wrong and what is accepted", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["1d", 'unknown unit "d"'],
    ["15", "missing unit"],
    ["", "no number"],
    [".s", "a number needs a digit"],
    ["1s ", 'unknown unit "s "'],
    ["3000000h", "out of range"],
    ["abc", "does not start with a number"],
  ];
  for (const [text, problem] of cases) {
    assert.throws(() => parseGoDuration(text), (e: unknown) => {
      assert.ok(e instanceof DurationError && e instanceof SyntaxError);
      assert.equal(e.value, text);
      assert.ok(e.message.includes(JSON.stringify(text)), e.message);
      assert.ok(e.message.includes(problem), `${e.message} should say ${problem}`);
      assert.ok(e.message.includes(DURATION_ACCEPTED), e.message);
      return true;
    });
  }
});

const UNITS: ReadonlyArray<readonly [string, bigint]> = [
  ["ns", NS],
  ["us", US],
  ["µs", US],
  ["μs", US],
  ["ms", MS],
  ["s", S],
  ["m", M],
  ["h", H],
];

/** One `<integer><unit>` term small enough that no sum of a few of them overflows. */
const term = fc.tuple(fc.bigInt({ min: 0n, max: 1_000_000n }), fc.constantFrom(...UNITS));

Deno.test("Go duration parser: a sequence of integer terms is the sum of the terms, in any order", () => {
  fc.assert(
    fc.property(fc.array(term, { minLength: 1, maxLength: 6 }), (terms) => {
      const text = terms.map(([n, [unit]]) => `${n}${unit}`).join("");
      const want = terms.reduce((sum, [n, [, ns]]) => sum + n * ns, 0n);
      assert.equal(parseGoDuration(text), want);
      assert.equal(parseGoDuration(`+${text}`), want);
      assert.equal(parseGoDuration(`-${text}`), -want);
    }),
  );
});

Deno.test("Go duration parser reads back exactly what Go's Duration.String prints", () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (ns) => {
      assert.equal(parseGoDuration(formatGoDuration(ns)), ns);
    }),
  );
});

Deno.test("Go duration parser: fractions of a unit truncate to the nanosecond as Go's float64 does", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 999_999 }),
      fc.integer({ min: 0, max: 999 }),
      fc.constantFrom(...UNITS),
      (whole, millis, [unit, ns]) => {
        const frac = String(millis).padStart(3, "0");
        const want = BigInt(whole) * ns + BigInt(Math.trunc(millis * (Number(ns) / 1000)));
        assert.equal(parseGoDuration(`${whole}.${frac}${unit}`), want);
        assert.equal(parseGoDuration(`.${frac}${unit}`), want - BigInt(whole) * ns);
      },
    ),
  );
});

Deno.test("Go duration parser refuses text outside Go's grammar", () => {
  const grammar = /^[-+]?(0|((\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$/;
  fc.assert(
    fc.property(
      fc.stringMatching(/^[-+0-9.a-zµμ ]{0,12}$/),
      (text) => {
        let outcome = "parsed";
        try {
          parseGoDuration(text);
        } catch (err) {
          assert.ok(err instanceof DurationError);
          outcome = err.problem === "out of range" ? "out of range" : "refused";
        }
        // In the grammar: parsed, or too large for int64 nanoseconds.
        assert.equal(outcome !== "refused", grammar.test(text), JSON.stringify(text));
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("Go durations convert to milliseconds, fractional below one", () => {
  assert.equal(parseDurationMs("15s"), 15_000);
  assert.equal(parseDurationMs("1m30s"), 90_000);
  assert.equal(parseDurationMs(".5s"), 500);
  assert.equal(parseDurationMs("1h2m3.5s"), 3_723_500);
  assert.equal(parseDurationMs("1500us"), 1.5);
  assert.equal(parseDurationMs("250µs"), 0.25);
  assert.equal(parseDurationMs("-1.5s"), -1500);
  assert.equal(parseDurationMs("0"), 0);
  assert.throws(() => parseDurationMs("1d"), DurationError);
});

Deno.test("an optional positive duration is whole milliseconds, undefined when bad or not positive", () => {
  assert.equal(parsePositiveDurationMs("90s"), 90_000);
  assert.equal(parsePositiveDurationMs(" 5m "), 300_000);
  assert.equal(parsePositiveDurationMs("1.5ms"), 2);
  assert.equal(parsePositiveDurationMs(".5s"), 500);
  for (const bad of ["0", "-1s", "1d", "", "100us", "5"]) {
    assert.equal(parsePositiveDurationMs(bad), undefined, bad);
  }
});

Deno.test("durations print the way Go prints them", () => {
  assert.equal(formatDurationMs(90_000), "1m30s");
  assert.equal(formatDurationMs(500), "500ms");
  assert.equal(formatDurationMs(3_600_000), "1h0m0s");
  assert.equal(formatDurationMs(15_000), "15s");
  assert.equal(formatDurationMs(8_333.333), "8.333333s");
  assert.equal(formatGoDuration(0n), "0s");
  assert.equal(formatGoDuration(1_500n), "1.5µs");
  assert.equal(formatGoDuration(-(1n << 63n)), "-2562047h47m16.854775808s");
  assert.equal(formatGoDuration((1n << 63n) - 1n), "2562047h47m16.854775807s");
});
