/**
 * DER (ITU-T X.690) encoding and reading, as much as self-signed mode needs
 * to build X.509 certificates and read back the CA it signs with: definite
 * lengths, the universal types a certificate uses, context-specific tags.
 *
 * @module
 */
import { encodeBase64 } from "./_base64.ts";

/** Bytes backed by a plain `ArrayBuffer`, as WebCrypto takes them. */
export type Bytes = Uint8Array<ArrayBuffer>;

/** Encodes one element: tag, definite length, contents. */
export function tlv(tag: number, ...contents: readonly Bytes[]): Bytes {
  const size = contents.reduce((n, c) => n + c.length, 0);
  const header = [tag, ...lengthOctets(size)];
  const out = new Uint8Array(header.length + size);
  out.set(header);
  let at = header.length;
  for (const c of contents) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function lengthOctets(size: number): number[] {
  if (size < 0x80) return [size];
  const bytes: number[] = [];
  for (let n = size; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return [0x80 | bytes.length, ...bytes];
}

/** `SEQUENCE` of the given encoded elements. */
export const sequence = (...items: readonly Bytes[]): Bytes => tlv(0x30, ...items);

/** `SET` of the given encoded elements (callers pass them in DER order). */
export const set = (...items: readonly Bytes[]): Bytes => tlv(0x31, ...items);

/** `BOOLEAN`. */
export const boolean = (value: boolean): Bytes => tlv(0x01, Uint8Array.of(value ? 0xff : 0x00));

/**
 * `INTEGER` from unsigned big-endian bytes: leading zeros dropped, one zero
 * added when the high bit is set so the value stays positive.
 */
export function unsignedInteger(bytes: Bytes): Bytes {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const value = bytes.subarray(start);
  return (value[0] ?? 0) & 0x80 ? tlv(0x02, Uint8Array.of(0), value) : tlv(0x02, value);
}

/** `INTEGER` of a small non-negative number. */
export function smallInteger(value: number): Bytes {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Cannot encode ${value} as a DER INTEGER: expected a safe integer ≥ 0`);
  }
  const bytes: number[] = [];
  for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return unsignedInteger(Uint8Array.from(bytes.length === 0 ? [0] : bytes));
}

/** `OBJECT IDENTIFIER` from its dotted form, e.g. `"2.5.4.3"`. */
export function oid(dotted: string): Bytes {
  const arcs = dotted.split(".").map(Number);
  const [first, second, ...rest] = arcs;
  if (
    first === undefined || second === undefined || first > 2 ||
    arcs.some((a) => !Number.isSafeInteger(a) || a < 0)
  ) {
    throw new RangeError(`Cannot encode "${dotted}" as an OBJECT IDENTIFIER`);
  }
  const out: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const base128 = [arc % 128];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) {
      base128.unshift(0x80 | n % 128);
    }
    out.push(...base128);
  }
  return tlv(0x06, Uint8Array.from(out));
}

/** `UTF8String`. */
export const utf8String = (text: string): Bytes => tlv(0x0c, new TextEncoder().encode(text));

/** `OCTET STRING`. */
export const octetString = (bytes: Bytes): Bytes => tlv(0x04, bytes);

/** `BIT STRING` of whole bytes (no unused bits). */
export const bitString = (bytes: Bytes): Bytes => tlv(0x03, Uint8Array.of(0), bytes);

/**
 * `BIT STRING` of a named bit list (bit 0 is the first, most significant
 * bit), trailing zero bits dropped as DER requires.
 */
export function namedBits(bits: readonly number[]): Bytes {
  if (bits.length === 0) return tlv(0x03, Uint8Array.of(0));
  const last = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(last / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  return tlv(0x03, Uint8Array.of(7 - (last & 7)), bytes);
}

/**
 * A certificate time as RFC 5280 §4.1.2.5 requires: `UTCTime` for the years
 * 1950–2049, `GeneralizedTime` otherwise; whole seconds, UTC.
 */
export function time(date: Date): Bytes {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-:T]/g, "") + "Z";
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`Cannot encode ${iso} as a certificate time`);
  return year >= 1950 && year < 2050
    ? tlv(0x17, new TextEncoder().encode(digits.slice(2)))
    : tlv(0x18, new TextEncoder().encode(digits));
}

/** A context-specific tag `[n]` around constructed contents (EXPLICIT tagging). */
export const explicit = (n: number, ...contents: readonly Bytes[]): Bytes =>
  tlv(0xa0 | n, ...contents);

/** A context-specific primitive `[n]` (IMPLICIT tagging of a primitive type). */
export const implicit = (n: number, bytes: Bytes): Bytes => tlv(0x80 | n, bytes);

/** One element found by {@linkcode readElement}: where it sits in its buffer. */
export interface DerElement {
  readonly tag: number;
  /** The whole element, header included. */
  readonly encoded: Bytes;
  /** The contents only. */
  readonly contents: Bytes;
}

/**
 * Reads the element at `offset` of `buffer`.
 *
 * @throws {RangeError} when the bytes there are not one definite-length element.
 */
export function readElement(buffer: Bytes, offset = 0): DerElement {
  const tag = buffer[offset];
  let lengthByte = buffer[offset + 1];
  if (tag === undefined || lengthByte === undefined || (tag & 0x1f) === 0x1f) {
    throw new RangeError(`Cannot read a DER element at byte ${offset}`);
  }
  let at = offset + 2;
  let size = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count === 0 || count > 4) {
      throw new RangeError(`Cannot read a DER length at byte ${offset}`);
    }
    size = 0;
    for (let i = 0; i < count; i++) {
      lengthByte = buffer[at++];
      if (lengthByte === undefined) throw new RangeError(`Truncated DER length at byte ${offset}`);
      size = size * 256 + lengthByte;
    }
  }
  if (at + size > buffer.length) {
    throw new RangeError(`DER element at byte ${offset} runs past the end (${size} bytes)`);
  }
  return {
    tag,
    encoded: buffer.subarray(offset, at + size),
    contents: buffer.subarray(at, at + size),
  };
}

/** The elements inside a constructed element, in order. */
export function childrenOf(element: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let at = 0; at < element.contents.length;) {
    const child = readElement(element.contents, at);
    out.push(child);
    at += child.encoded.length;
  }
  return out;
}

/** Decodes the first PEM block labelled `label` (e.g. `CERTIFICATE`). */
export function pemDecode(pem: string, label: string): Bytes {
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`)
    .exec(pem);
  if (match === null) throw new TypeError(`no PEM ${label} block`);
  return Uint8Array.from(atob((match[1] ?? "").replace(/\s+/g, "")), (c) => c.charCodeAt(0));
}

/** Encodes `der` as a PEM block labelled `label`, 64 characters a line, with a final newline. */
export function pemEncode(der: Bytes, label: string): string {
  const lines = encodeBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
