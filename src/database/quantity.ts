/**
 * Kubernetes resource quantities (`10Gi`, `500m`, `1.5e3`): parse, compare, format.
 *
 * The grammar is the one of `k8s.io/apimachinery/pkg/api/resource`:
 *
 * ```
 * <quantity>        ::= <signedNumber><suffix>
 * <signedNumber>    ::= <number> | <sign><number>
 * <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
 * <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
 * <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
 * <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
 * <decimalExponent> ::= "e" <signedInteger> | "E" <signedInteger>
 * ```
 *
 * Values are kept as exact rationals (bigint numerator and denominator), so
 * comparisons never suffer from floating point rounding.
 *
 * @module
 */

/** The OpenAPI `pattern` Kubernetes uses for quantities (as emitted for `resource.Quantity`). */
export const QUANTITY_PATTERN =
  "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

/** An exact quantity value: `numerator / denominator`, denominator always positive. */
export interface Quantity {
  /** The text the quantity was parsed from. */
  readonly text: string;
  /** Signed numerator of the exact value. */
  readonly numerator: bigint;
  /** Positive denominator of the exact value (a power of ten). */
  readonly denominator: bigint;
}

/** Raised when a string is not a Kubernetes quantity. */
export class QuantityParseError extends SyntaxError {
  /** Creates the error for the offending text. */
  constructor(text: string, reason: string) {
    super(`Cannot parse quantity "${text}": ${reason}`);
    this.name = "QuantityParseError";
  }
}

const BINARY_SUFFIXES: Readonly<Record<string, bigint>> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};

const DECIMAL_EXPONENTS: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

const NUMBER_RE = /^([+-])?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(.*)$/;
const EXPONENT_RE = /^[eE]([+-]?[0-9]+)$/;
/** Kubernetes caps exponents well inside int32; this keeps bigint powers small. */
const MAX_EXPONENT = 1000;

/**
 * Parses a Kubernetes quantity string into an exact value.
 *
 * @throws {QuantityParseError} when `text` does not follow the quantity grammar.
 * @example
 * ```ts
 * import { parseQuantity } from "./quantity.ts";
 * parseQuantity("1Ki").numerator; // 1024n
 * ```
 */
export function parseQuantity(text: string): Quantity {
  const match = NUMBER_RE.exec(text);
  if (match === null) {
    throw new QuantityParseError(text, "expected a number such as 10, 1.5 or .5");
  }
  const [, sign = "", digits = "", suffix = ""] = match;
  const [whole = "", fraction = ""] = digits.split(".");
  let numerator = BigInt((whole || "0") + fraction);
  let denominator = 10n ** BigInt(fraction.length);
  if (sign === "-") numerator = -numerator;

  const binary = BINARY_SUFFIXES[suffix];
  if (binary !== undefined) {
    numerator *= binary;
  } else {
    let exponent = DECIMAL_EXPONENTS[suffix];
    if (exponent === undefined) {
      const exp = EXPONENT_RE.exec(suffix);
      if (exp === null) {
        throw new QuantityParseError(
          text,
          `unknown suffix "${suffix}"; accepted: Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or e<integer>`,
        );
      }
      exponent = Number(exp[1]);
      if (Math.abs(exponent) > MAX_EXPONENT) {
        throw new QuantityParseError(text, `exponent out of range (|e| <= ${MAX_EXPONENT})`);
      }
    }
    if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
    else denominator *= 10n ** BigInt(-exponent);
  }
  return { text, numerator, denominator };
}

/** Returns true when `text` is a valid Kubernetes quantity. */
export function isQuantity(text: string): boolean {
  try {
    parseQuantity(text);
    return true;
  } catch {
    return false;
  }
}

/** Accepts a quantity, its text, or a plain number (as YAML `cpu: 2` yields). */
export type QuantityLike = Quantity | string | number;

function toQuantity(value: QuantityLike): Quantity {
  if (typeof value === "object") return value;
  return parseQuantity(String(value));
}

/**
 * Compares two quantities exactly: negative when `a < b`, zero when equal, positive when `a > b`.
 *
 * @throws {QuantityParseError} when either side is not a quantity.
 * @example
 * ```ts
 * import { compareQuantities } from "./quantity.ts";
 * compareQuantities("1Gi", "1000Mi") > 0; // true
 * ```
 */
export function compareQuantities(a: QuantityLike, b: QuantityLike): -1 | 0 | 1 {
  const qa = toQuantity(a);
  const qb = toQuantity(b);
  const left = qa.numerator * qb.denominator;
  const right = qb.numerator * qa.denominator;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Returns the sign of a quantity: -1, 0 or 1. */
export function quantitySign(value: QuantityLike): -1 | 0 | 1 {
  const q = toQuantity(value);
  return q.numerator < 0n ? -1 : q.numerator > 0n ? 1 : 0;
}

/**
 * Returns the quantity rounded up to a whole number (bytes for memory and storage,
 * cores for CPU), as Kubernetes does when it needs an integer.
 */
export function quantityToBigInt(value: QuantityLike): bigint {
  const q = toQuantity(value);
  const quotient = q.numerator / q.denominator;
  const exact = quotient * q.denominator === q.numerator;
  return exact || q.numerator < 0n ? quotient : quotient + 1n;
}

/** Returns an approximate floating point value, for display and metrics only. */
export function quantityToNumber(value: QuantityLike): number {
  const q = toQuantity(value);
  return Number(q.numerator) / Number(q.denominator);
}
