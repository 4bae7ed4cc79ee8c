/**
 * Parsing and checking of a PEM certificate chain and its private key.
 *
 * Uses `node:crypto` (built into Deno) because it reads every key encoding
 * cert-manager writes — PKCS#1 (`RSA PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`)
 * and PKCS#8 — which WebCrypto's `importKey` does not.
 *
 * @module
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { CertificateError } from "./errors.ts";

/** A serving certificate chain and its key, checked to belong together. */
export interface CertificatePair {
  /** PEM chain, leaf first, exactly as read. */
  readonly certPem: string;
  /** PEM private key of the leaf, exactly as read. */
  readonly keyPem: string;
  /** Leaf expiry. */
  readonly notAfter: Date;
  /** Leaf start of validity. */
  readonly notBefore: Date;
  /** SHA-256 fingerprint of the leaf, `AA:BB:…`; identifies the certificate in logs. */
  readonly fingerprint: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Parses a PEM chain and key and checks that the key belongs to the leaf.
 *
 * Guarantees: a returned pair has a parsable leaf certificate, a parsable key
 * of any common encoding, and the key's public half equals the leaf's.
 *
 * @throws {CertificateError} when either PEM does not parse or the key does
 * not match the leaf certificate.
 *
 * @example
 * ```ts ignore
 * const pair = parseCertificatePair(
 *   await Deno.readTextFile("tls.crt"),
 *   await Deno.readTextFile("tls.key"),
 * );
 * ```
 */
export function parseCertificatePair(certPem: string, keyPem: string): CertificatePair {
  const leafPem = certPem.match(PEM_CERT)?.[0];
  if (leafPem === undefined) {
    throw new CertificateError("Cannot load certificate: no PEM CERTIFICATE block found");
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafPem);
  } catch (cause) {
    throw new CertificateError("Cannot load certificate: leaf certificate does not parse", {
      cause,
    });
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(keyPem);
  } catch (cause) {
    throw new CertificateError("Cannot load certificate: private key does not parse", { cause });
  }
  let matches: boolean;
  try {
    matches = leaf.checkPrivateKey(key);
  } catch (cause) {
    throw new CertificateError("Cannot load certificate: key and certificate cannot be compared", {
      cause,
    });
  }
  if (!matches) {
    throw new CertificateError("Cannot load certificate: private key does not match certificate");
  }
  return {
    certPem,
    keyPem,
    notAfter: new Date(leaf.validTo),
    notBefore: new Date(leaf.validFrom),
    fingerprint: leaf.fingerprint256,
  };
}
