/**
 * Kubernetes quantities in the exact form the API server stores them back
 * (`1.5Gi` → `1536Mi`, `0.5` → `500m`, `1000` → `1k`), so that desired
 * objects compare equal to live ones field by field.
 *
 * This follows `k8s.io/apimachinery/pkg/api/resource` (v0.37): `ParseQuantity`
 * keeps the text verbatim when it is already canonical; otherwise
 * `Quantity.MarshalJSON` emits the canonical form — the suffix family of the
 * input (binary `Ki`…`Ei`, decimal SI, or `e<n>`), no fractional digits, the
 * largest exponent that loses no precision, values rounded up to `1n`.
 * Binary values below 1024 or with a fraction fall back to decimal SI.
 *
 * @module
 */
import { parseQuantity } from "../../database/mod.ts";

type Format = "BinarySI" | "DecimalSI" | "DecimalExponent";

interface Scanned {
  readonly negative: boolean;
  /** Integer digits without leading zeros ("0" when there are none). */
  readonly num: string;
  /** Fraction digits (may be empty). */
  readonly denom: string;
  readonly suffix: string;
}

const BINARY_EXPONENTS: Readonly<Record<string, number>> = {
  Ki: 10,
  Mi: 20,
  Gi: 30,
  Ti: 40,
  Pi: 50,
  Ei: 60,
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
const DECIMAL_SUFFIXES = new Map(Object.entries(DECIMAL_EXPONENTS).map(([s, e]) => [e, s]));
const BINARY_SUFFIXES = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
/** apimachinery's `maxInt64Factors`: decimal digits an int64 always holds. */
const MAX_INT64_FACTORS = 18;
const INT64_MAX = (1n << 63n) - 1n;

/** apimachinery's `parseQuantityString`, for what the fast path needs. */
function scan(text: string): Scanned {
  const match = /^([+-]?)0*([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(text);
  const [, sign = "", num = "", denom = "", suffix = ""] = match ?? [];
  return { negative: sign === "-", num: num === "" ? "0" : num, denom, suffix };
}

function interpret(suffix: string): { format: Format; exponent: number } {
  const binary = BINARY_EXPONENTS[suffix];
  if (binary !== undefined) return { format: "BinarySI", exponent: binary };
  const decimal = DECIMAL_EXPONENTS[suffix];
  if (decimal !== undefined) return { format: "DecimalSI", exponent: decimal };
  return { format: "DecimalExponent", exponent: Number(suffix.slice(1)) };
}

/** True when `ParseQuantity` keeps the original text (it judged it canonical already). */
function keptVerbatim(s: Scanned, format: Format, exponent: number): boolean {
  let precision: number;
  let mantissa = 1n;
  if (format === "BinarySI") {
    if (s.denom.length > 0) return false;
    mantissa = 1n << BigInt(exponent);
    precision = 15 - s.num.length - Math.trunc((exponent * 3) / 10) - 1;
  } else {
    precision = MAX_INT64_FACTORS - (s.num.length + s.denom.length);
  }
  if (precision < 0) return false;
  const scale = (format === "BinarySI" ? 0 : exponent) - s.denom.length;
  if (scale < -9) return false;
  const shifted = s.num + s.denom;
  const value = BigInt(shifted);
  if (value * mantissa > INT64_MAX) return false;
  if (format === "BinarySI") return exponent % 10 === 0 && (value & 7n) !== 0n;
  return scale % 3 === 0 && !shifted.endsWith("000") && shifted[0] !== "0";
}

/** Removes every factor `base` from `n`, returning what remains and how many were removed. */
function removeFactors(n: bigint, base: bigint): [bigint, number] {
  let times = 0;
  while (n !== 0n && n % base === 0n) {
    n /= base;
    times++;
  }
  return [n, times];
}

/** Decimal canonical form of `mantissa × 10^exponent` (mantissa > 0). */
function decimalText(mantissa: bigint, exponent: number, format: Format): string {
  const [amount, times] = removeFactors(mantissa, 10n);
  let e = exponent + times;
  let m = amount;
  const down = ((e % 3) + 3) % 3;
  m *= 10n ** BigInt(down);
  e -= down;
  if (format === "DecimalExponent") return `${m}${e === 0 ? "" : `e${e}`}`;
  // As apimachinery: an exponent without an SI suffix (above E) is emitted without one.
  return `${m}${DECIMAL_SUFFIXES.get(e) ?? ""}`;
}

/**
 * Returns a quantity exactly as the API server stores it back.
 *
 * Numbers (YAML `cpu: 2`) are accepted and come back as strings (`"2"`).
 *
 * @throws {QuantityParseError} when `value` is not a Kubernetes quantity.
 * @example
 * ```ts
 * import { canonicalQuantity } from "./canonical_quantity.ts";
 * canonicalQuantity("1.5Gi"); // "1536Mi"
 * canonicalQuantity(0.5); // "500m"
 * canonicalQuantity("10Gi"); // "10Gi"
 * ```
 */
export function canonicalQuantity(value: string | number): string {
  const text = typeof value === "number" ? String(value) : value;
  const exact = parseQuantity(text);
  if (text === "0") return text;
  const scanned = scan(text);
  const { format, exponent } = interpret(scanned.suffix);
  if (keptVerbatim(scanned, format, exponent)) return text;
  if (exact.numerator === 0n) return "0";

  const sign = exact.numerator < 0n ? "-" : "";
  let numerator = exact.numerator < 0n ? -exact.numerator : exact.numerator;
  let denominator = exact.denominator;
  // Round up (away from zero) to nano precision, as ParseQuantity does.
  const nano = 10n ** 9n;
  if (denominator > nano) {
    const step = denominator / nano;
    numerator = (numerator + step - 1n) / step;
    denominator = nano;
  }
  // Binary values are capped at the int64 maximum, as ParseQuantity does.
  if (format === "BinarySI" && numerator > INT64_MAX * denominator) {
    numerator = INT64_MAX;
    denominator = 1n;
  }
  const decimalExponent = -(denominator.toString().length - 1);
  const whole = numerator % denominator === 0n ? numerator / denominator : undefined;
  if (format === "BinarySI" && whole !== undefined && whole >= 1024n) {
    const [amount, times] = removeFactors(whole, 1024n);
    return `${sign}${amount}${BINARY_SUFFIXES[times] ?? ""}`;
  }
  const decimalFormat = format === "BinarySI" ? "DecimalSI" : format;
  return sign + decimalText(numerator, decimalExponent, decimalFormat);
}
