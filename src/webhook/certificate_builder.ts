/**
 * X.509 v3 certificates (RFC 5280) for self-signed mode, built with
 * {@link ./der.ts} and signed with WebCrypto ECDSA P-256 / SHA-256: the
 * few extensions a webhook CA and its serving certificate carry, and the
 * fields of a CA certificate that signing a leaf with it needs.
 *
 * @module
 */
import {
  bitString,
  boolean,
  type Bytes,
  childrenOf,
  type DerElement,
  explicit,
  implicit,
  namedBits,
  octetString,
  oid,
  readElement,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from "./der.ts";
import { ipAddressBytes } from "../ip_address.ts";

const ECDSA_WITH_SHA256 = sequence(oid("1.2.840.10045.4.3.2"));
const SIGNING: EcdsaParams = { name: "ECDSA", hash: "SHA-256" };

/** An encoded extension: `Extension ::= SEQUENCE { extnID, critical, extnValue }`. */
export type Extension = Bytes;

function extension(id: string, critical: boolean, value: Bytes): Extension {
  // `critical` is DEFAULT FALSE: DER leaves a default value out.
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** A distinguished name of one common name: `CN=<commonName>`. */
export function commonNameOnly(commonName: string): Bytes {
  return sequence(set(sequence(oid("2.5.4.3"), utf8String(commonName))));
}

/** `basicConstraints` (critical): a CA with the given path length, or an end entity. */
export function basicConstraints(ca: { pathLength: number } | false): Extension {
  const value = ca === false ? sequence() : sequence(boolean(true), smallInteger(ca.pathLength));
  return extension("2.5.29.19", true, value);
}

/** The `keyUsage` bits this module uses (RFC 5280 §4.2.1.3). */
export const KeyUsage = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

/** `keyUsage` (critical). */
export function keyUsage(bits: readonly number[]): Extension {
  return extension("2.5.29.15", true, namedBits(bits));
}

/** `extKeyUsage` of TLS server authentication only. */
export function serverAuthOnly(): Extension {
  return extension("2.5.29.37", false, sequence(oid("1.3.6.1.5.5.7.3.1")));
}

/**
 * `subjectAltName` of DNS names and IP addresses.
 *
 * @throws {TypeError} naming the address when one is not an IPv4 or IPv6 address.
 */
export function subjectAltNames(dnsNames: readonly string[], ips: readonly string[]): Extension {
  const names = [
    ...dnsNames.map((name) => implicit(2, new TextEncoder().encode(name))),
    ...ips.map((ip) => implicit(7, ipAddressBytes(ip))),
  ];
  return extension("2.5.29.17", false, sequence(...names));
}

/** `subjectKeyIdentifier`. */
export function subjectKeyIdentifier(keyId: Bytes): Extension {
  return extension("2.5.29.14", false, octetString(keyId));
}

/** `authorityKeyIdentifier` by key identifier. */
export function authorityKeyIdentifier(keyId: Bytes): Extension {
  return extension("2.5.29.35", false, sequence(implicit(0, keyId)));
}

/**
 * The key identifier of a public key, RFC 5280 §4.2.1.2 method 1: SHA-1 of
 * the `subjectPublicKey` bits of its DER `SubjectPublicKeyInfo`.
 */
export async function keyIdentifier(spki: Bytes): Promise<Bytes> {
  const [, subjectPublicKey] = childrenOf(readElement(spki));
  if (subjectPublicKey?.tag !== 0x03) throw new TypeError("not a SubjectPublicKeyInfo");
  const bits = subjectPublicKey.contents.subarray(1); // after the unused-bits octet
  return new Uint8Array(await crypto.subtle.digest("SHA-1", bits));
}

/** What {@linkcode buildCertificate} signs. */
export interface CertificateFields {
  /** Serial number, unsigned big-endian (RFC 5280: positive, at most 20 octets). */
  serial: Bytes;
  issuer: Bytes;
  subject: Bytes;
  notBefore: Date;
  notAfter: Date;
  /** The subject's public key as DER `SubjectPublicKeyInfo` (`exportKey("spki")`). */
  subjectPublicKeyInfo: Bytes;
  extensions: readonly Extension[];
  /** The issuer's ECDSA P-256 private key. */
  signingKey: CryptoKey;
}

/** Builds and signs a v3 certificate; returns its DER. */
export async function buildCertificate(fields: CertificateFields): Promise<Bytes> {
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(fields.serial),
    ECDSA_WITH_SHA256,
    fields.issuer,
    sequence(time(fields.notBefore), time(fields.notAfter)),
    fields.subject,
    fields.subjectPublicKeyInfo,
    explicit(3, sequence(...fields.extensions)),
  );
  const raw = new Uint8Array(await crypto.subtle.sign(SIGNING, fields.signingKey, tbs));
  return sequence(tbs, ECDSA_WITH_SHA256, bitString(ecdsaSignatureDer(raw)));
}

/** WebCrypto's ECDSA signature (`r ‖ s`) as X.509 wants it: `SEQUENCE { r, s }`. */
function ecdsaSignatureDer(raw: Bytes): Bytes {
  const half = raw.length / 2;
  return sequence(unsignedInteger(raw.subarray(0, half)), unsignedInteger(raw.subarray(half)));
}

/** What signing with a CA certificate takes from it. */
export interface IssuerFields {
  /** The subject name, DER, as the leaf's issuer. */
  subject: Bytes;
  subjectPublicKeyInfo: Bytes;
  /** The CA's `subjectKeyIdentifier`, or the RFC 5280 method-1 identifier when it has none. */
  keyIdentifier: Bytes;
}

/**
 * Reads a certificate's subject, public key and key identifier.
 *
 * @throws {TypeError} when `der` is not an X.509 certificate.
 */
export async function readIssuer(der: Bytes): Promise<IssuerFields> {
  let fields: DerElement[];
  try {
    const [tbs] = childrenOf(readElement(der));
    if (tbs?.tag !== 0x30) throw new RangeError("no TBSCertificate");
    fields = childrenOf(tbs);
  } catch (err) {
    throw new TypeError(`not an X.509 certificate: ${(err as Error).message}`);
  }
  // version is [0] EXPLICIT and absent for v1.
  const at = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[at + 4];
  const spki = fields[at + 5];
  if (subject?.tag !== 0x30 || spki?.tag !== 0x30) {
    throw new TypeError("not an X.509 certificate: no subject or public key");
  }
  const extensions = fields.find((f) => f.tag === 0xa3);
  const ski = extensions === undefined ? undefined : subjectKeyIdOf(extensions);
  return {
    subject: subject.encoded,
    subjectPublicKeyInfo: spki.encoded,
    keyIdentifier: ski ?? await keyIdentifier(spki.encoded),
  };
}

function subjectKeyIdOf(extensions: DerElement): Bytes | undefined {
  const [list] = childrenOf(extensions);
  const skiOid = oid("2.5.29.14");
  for (const ext of list === undefined ? [] : childrenOf(list)) {
    const [id, ...rest] = childrenOf(ext);
    if (id === undefined || !sameBytes(id.encoded, skiOid)) continue;
    const value = rest[rest.length - 1];
    if (value?.tag !== 0x04) return undefined;
    return readElement(value.contents).contents; // extnValue wraps an OCTET STRING
  }
  return undefined;
}

function sameBytes(a: Bytes, b: Bytes): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
