import assert from "node:assert/strict";
import {
  childrenOf,
  namedBits,
  oid,
  pemDecode,
  pemEncode,
  readElement,
  sequence,
  smallInteger,
  time,
  tlv,
  unsignedInteger,
} from "../../../src/webhook/der.ts";

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("DER object identifiers encode the first two arcs together and larger arcs in base 128", () => {
  assert.equal(hex(oid("2.5.4.3")), "0603550403");
  assert.equal(hex(oid("1.2.840.10045.4.3.2")), "06082a8648ce3d040302");
  assert.equal(hex(oid("1.3.6.1.5.5.7.3.1")), "06082b06010505070301");
  assert.throws(() => oid("3.1"), /Cannot encode "3.1"/);
  assert.throws(() => oid("1"), /Cannot encode "1"/);
});

Deno.test("DER lengths are short below 128 bytes and long-form above", () => {
  assert.equal(hex(tlv(0x04, new Uint8Array(127))).slice(0, 4), "047f");
  assert.equal(hex(tlv(0x04, new Uint8Array(128))).slice(0, 6), "048180");
  assert.equal(hex(tlv(0x04, new Uint8Array(300))).slice(0, 8), "0482012c");
});

Deno.test("DER integers stay positive and minimal", () => {
  assert.equal(hex(unsignedInteger(Uint8Array.of(0x80))), "02020080");
  assert.equal(hex(unsignedInteger(Uint8Array.of(0, 0, 0x7f))), "02017f");
  assert.equal(hex(unsignedInteger(Uint8Array.of(0, 0))), "020100");
  assert.equal(hex(smallInteger(0)), "020100");
  assert.equal(hex(smallInteger(2)), "020102");
  assert.equal(hex(smallInteger(256)), "02020100");
  assert.throws(() => smallInteger(-1), /expected a safe integer ≥ 0/);
});

Deno.test("DER named bit lists drop trailing zero bits", () => {
  // keyUsage digitalSignature (bit 0); keyCertSign | cRLSign (bits 5, 6).
  assert.equal(hex(namedBits([0])), "03020780");
  assert.equal(hex(namedBits([5, 6])), "03020106");
  assert.equal(hex(namedBits([8])), "0303070080");
  assert.equal(hex(namedBits([])), "030100");
});

Deno.test("certificate times are UTCTime until 2049 and GeneralizedTime from 2050", () => {
  const text = (bytes: Uint8Array<ArrayBuffer>) =>
    new TextDecoder().decode(readElement(bytes).contents);
  assert.equal(readElement(time(new Date("2026-12-03T06:39:44.999Z"))).tag, 0x17);
  assert.equal(text(time(new Date("2026-12-03T06:39:44.999Z"))), "261203063944Z");
  assert.equal(readElement(time(new Date("2050-01-01T00:00:00Z"))).tag, 0x18);
  assert.equal(text(time(new Date("2050-01-01T00:00:00Z"))), "20500101000000Z");
  assert.equal(readElement(time(new Date("1949-12-31T23:59:59Z"))).tag, 0x18);
});

Deno.test("DER elements read back as written, and truncated input is refused", () => {
  const inner = [oid("2.5.4.3"), tlv(0x04, new Uint8Array(200)), smallInteger(7)];
  const outer = sequence(...inner);
  const children = childrenOf(readElement(outer));
  assert.deepEqual(children.map((c) => hex(c.encoded)), inner.map(hex));
  assert.equal(children[1]?.contents.length, 200);
  assert.throws(() => readElement(outer.subarray(0, outer.length - 1)), /runs past the end/);
  assert.throws(() => readElement(Uint8Array.of(0x30)), /Cannot read a DER element/);
  assert.throws(() => readElement(Uint8Array.of(0x30, 0x85, 1, 1, 1, 1, 1)), /DER length/);
});

Deno.test("PEM encodes 64 characters a line and decodes back the first block of its label", () => {
  const der = crypto.getRandomValues(new Uint8Array(100));
  const pem = pemEncode(der, "CERTIFICATE");
  const lines = pem.trimEnd().split("\n");
  assert.equal(lines[0], "-----BEGIN CERTIFICATE-----");
  assert.equal(lines[1]?.length, 64);
  assert.equal(lines.at(-1), "-----END CERTIFICATE-----");
  assert.deepEqual(
    pemDecode(`junk\n${pem}${pemEncode(Uint8Array.of(1), "CERTIFICATE")}`, "CERTIFICATE"),
    der,
  );
  assert.throws(() => pemDecode(pem, "PRIVATE KEY"), /no PEM PRIVATE KEY block/);
});
