import assert from "node:assert/strict";
import {
  compareQuantities,
  isQuantity,
  parseQuantity,
  QuantityParseError,
  quantitySign,
  quantityToBigInt,
  quantityToNumber,
} from "../../../src/database/quantity.ts";

Deno.test("binary SI suffixes multiply by powers of 1024", () => {
  assert.equal(quantityToBigInt("1Ki"), 1024n);
  assert.equal(quantityToBigInt("10Gi"), 10n * 1024n ** 3n);
  assert.equal(quantityToBigInt("1Ei"), 1024n ** 6n);
  assert.equal(quantityToBigInt("1.5Gi"), 1610612736n);
});

Deno.test("decimal SI suffixes multiply by powers of 1000", () => {
  assert.equal(quantityToBigInt("1k"), 1000n);
  assert.equal(quantityToBigInt("2M"), 2_000_000n);
  assert.equal(quantityToBigInt("1E"), 10n ** 18n);
  assert.equal(quantityToNumber("500m"), 0.5);
  assert.equal(quantityToNumber("250u"), 0.00025);
  assert.equal(quantityToNumber("3n"), 3e-9);
});

Deno.test("exponent forms scale by powers of ten", () => {
  assert.equal(quantityToBigInt("1e3"), 1000n);
  assert.equal(quantityToBigInt("1E3"), 1000n);
  assert.equal(quantityToBigInt("12e+2"), 1200n);
  assert.equal(quantityToNumber("5e-3"), 0.005);
});

Deno.test("number forms: leading dot, trailing dot and signs parse", () => {
  assert.equal(quantityToNumber(".5"), 0.5);
  assert.equal(quantityToNumber("5."), 5);
  assert.equal(quantityToNumber("+1"), 1);
  assert.equal(quantitySign("-1Gi"), -1);
  assert.equal(quantitySign("0"), 0);
});

Deno.test("comparison is exact across suffix families", () => {
  assert.equal(compareQuantities("1Gi", "1000Mi"), 1);
  assert.equal(compareQuantities("1G", "1Gi"), -1);
  assert.equal(compareQuantities("1024Mi", "1Gi"), 0);
  assert.equal(compareQuantities("1000m", "1"), 0);
  assert.equal(compareQuantities("0.1", "100m"), 0);
  assert.equal(compareQuantities("1e3", "1k"), 0);
  assert.equal(compareQuantities(2, "1500m"), 1);
  assert.equal(compareQuantities("1.0000000001Gi", "1Gi"), 1);
});

Deno.test("rounding to an integer rounds up fractional values", () => {
  assert.equal(quantityToBigInt("100m"), 1n);
  assert.equal(quantityToBigInt("1"), 1n);
  assert.equal(quantityToBigInt("1.1"), 2n);
});

Deno.test("malformed quantities are rejected with a Cannot parse error", () => {
  for (const bad of ["", "Gi", "1Gb", "1 Gi", "abc", "1e", "1e1.5", ".", "--1", "1KiB", "1gi"]) {
    assert.equal(isQuantity(bad), false, bad);
    assert.throws(() => parseQuantity(bad), (e: unknown) => {
      assert.ok(e instanceof QuantityParseError);
      assert.ok(e instanceof SyntaxError);
      assert.match(e.message, /^Cannot parse quantity/);
      return true;
    });
  }
});
