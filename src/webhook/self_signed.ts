/**
 * Self-signed mode: a CA and serving certificates signed by it.
 *
 * For development and for running the operator outside a cluster; production
 * uses cert-manager. Keys are ECDSA P-256 made with WebCrypto; certificates are
 * encoded by {@link ./certificate_builder.ts} (DER written here, no X.509
 * library: `@peculiar/x509` and its `reflect-metadata` cost ~9 MiB resident
 * for two certificates).
 *
 * @module
 */
import {
  authorityKeyIdentifier,
  basicConstraints,
  buildCertificate,
  commonNameOnly,
  keyIdentifier,
  KeyUsage,
  keyUsage,
  readIssuer,
  serverAuthOnly,
  subjectAltNames,
  subjectKeyIdentifier,
} from "./certificate_builder.ts";
import { pemDecode, pemEncode } from "./der.ts";

/** Options of {@linkcode generateSelfSigned}. */
export interface SelfSignedOptions {
  /** DNS subject alternative names, e.g. `vigil-webhook.vigil-system.svc`. Default: none. */
  dnsNames?: readonly string[];
  /** IP subject alternative names, e.g. `127.0.0.1`. Default: none. */
  ipAddresses?: readonly string[];
  /** Common name of the CA. Default `"vigil-webhook-ca"`. */
  caCommonName?: string;
  /** Validity of the CA, in days. Default 3650. */
  caValidityDays?: number;
  /** Validity of the serving certificate, in days. Default 365. */
  validityDays?: number;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
}

/** PEM output of {@linkcode generateSelfSigned}. */
export interface SelfSignedBundle {
  /** The CA certificate: what goes into `caBundle` and client trust stores. */
  caCertPem: string;
  /** The CA private key (PKCS#8); keep it only if more certificates will be signed. */
  caKeyPem: string;
  /** The serving certificate (leaf only). */
  certPem: string;
  /** The serving private key (PKCS#8). */
  keyPem: string;
}

const DAY_MS = 86_400_000;
// Backdating absorbs clock skew between this process and the API server.
const BACKDATE_MS = 3_600_000;
const EC_PARAMS: EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING: EcdsaParams = { name: "ECDSA", hash: "SHA-256" };

/** A CA that signs serving certificates: what {@linkcode generateCa} makes. */
export interface CertificateAuthority {
  /** The CA certificate: what goes into `caBundle` and client trust stores. */
  caCertPem: string;
  /** The CA private key (PKCS#8). */
  caKeyPem: string;
}

/**
 * The Secret that self-signed replicas share their CA through (`ca.crt`,
 * `ca.key`), in the namespace of the leader-election Lease; see
 * src/cli/shared_ca.ts.
 */
export const SELF_SIGNED_CA_SECRET = "vigil-webhook-self-signed-ca";

/**
 * Generates a CA that may sign only end-entity certificates (path length 0).
 *
 * @example
 * ```ts ignore
 * const ca = await generateCa();
 * const leaf = await signServingCertificate(ca, { dnsNames: ["vigil-webhook.vigil-system.svc"] });
 * ```
 */
export async function generateCa(
  options: Pick<SelfSignedOptions, "caCommonName" | "caValidityDays" | "now"> = {},
): Promise<CertificateAuthority> {
  const now = (options.now ?? (() => new Date()))().getTime();
  const caKeys = await crypto.subtle.generateKey(EC_PARAMS, true, ["sign", "verify"]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", caKeys.publicKey));
  const name = commonNameOnly(options.caCommonName ?? "vigil-webhook-ca");
  const der = await buildCertificate({
    serial: randomSerial(),
    issuer: name,
    subject: name,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + (options.caValidityDays ?? 3650) * DAY_MS),
    subjectPublicKeyInfo: spki,
    signingKey: caKeys.privateKey,
    extensions: [
      basicConstraints({ pathLength: 0 }),
      keyUsage([KeyUsage.keyCertSign, KeyUsage.cRLSign]),
      subjectKeyIdentifier(await keyIdentifier(spki)),
    ],
  });
  return {
    caCertPem: pemEncode(der, "CERTIFICATE"),
    caKeyPem: await privateKeyPem(caKeys.privateKey),
  };
}

/**
 * Signs a serving certificate for the given names with `ca` (a fresh key each call).
 *
 * Guarantees: the leaf is signed by the CA, carries the SANs given, has
 * `serverAuth` extended key usage and is not a CA.
 *
 * @throws {TypeError} when neither a DNS name nor an IP address is given, or
 *   naming the address when one is not an IPv4 or IPv6 address.
 * @throws {Error} when `ca` is not a PEM certificate with its PKCS#8 ECDSA P-256
 *   key, or the key is not the certificate's.
 */
export async function signServingCertificate(
  ca: CertificateAuthority,
  options: Pick<SelfSignedOptions, "dnsNames" | "ipAddresses" | "validityDays" | "now"> = {},
): Promise<{ certPem: string; keyPem: string }> {
  const dnsNames = options.dnsNames ?? [];
  const ipAddresses = options.ipAddresses ?? [];
  if (dnsNames.length === 0 && ipAddresses.length === 0) {
    throw new TypeError("Cannot generate certificate: no DNS name or IP address given");
  }
  const now = (options.now ?? (() => new Date()))().getTime();
  const { issuer, caKey } = await readCa(ca);
  const leafKeys = await crypto.subtle.generateKey(EC_PARAMS, true, ["sign", "verify"]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", leafKeys.publicKey));
  const der = await buildCertificate({
    serial: randomSerial(),
    issuer: issuer.subject,
    subject: commonNameOnly(dnsNames[0] ?? ipAddresses[0] ?? ""),
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + (options.validityDays ?? 365) * DAY_MS),
    subjectPublicKeyInfo: spki,
    signingKey: caKey,
    extensions: [
      basicConstraints(false),
      keyUsage([KeyUsage.digitalSignature]),
      serverAuthOnly(),
      subjectAltNames(dnsNames, ipAddresses),
      subjectKeyIdentifier(await keyIdentifier(spki)),
      authorityKeyIdentifier(issuer.keyIdentifier),
    ],
  });
  return {
    certPem: pemEncode(der, "CERTIFICATE"),
    keyPem: await privateKeyPem(leafKeys.privateKey),
  };
}

/** The CA's name, key identifier and signing key; the key must be the certificate's. */
async function readCa(ca: CertificateAuthority) {
  let issuer;
  let caKey: CryptoKey;
  try {
    issuer = await readIssuer(pemDecode(ca.caCertPem, "CERTIFICATE"));
    caKey = await crypto.subtle.importKey(
      "pkcs8",
      pemDecode(ca.caKeyPem, "PRIVATE KEY"),
      EC_PARAMS,
      false,
      ["sign"],
    );
  } catch (err) {
    throw new Error(
      `Cannot sign with the CA: expected a PEM certificate and its PKCS#8 ECDSA P-256 key ` +
        `(${(err as Error).message})`,
    );
  }
  const publicKey = await crypto.subtle
    .importKey("spki", issuer.subjectPublicKeyInfo, EC_PARAMS, false, ["verify"])
    .catch(() => undefined);
  const probe = new TextEncoder().encode("vigil CA key check");
  const signature = await crypto.subtle.sign(SIGNING, caKey, probe);
  if (
    publicKey === undefined || !await crypto.subtle.verify(SIGNING, publicKey, signature, probe)
  ) {
    throw new Error("Cannot sign with the CA: its private key does not match its certificate");
  }
  return { issuer, caKey };
}

/**
 * Generates a CA and a serving certificate for the given names
 * ({@linkcode generateCa}, then {@linkcode signServingCertificate}).
 *
 * Guarantees: the leaf is signed by the CA, carries the SANs given, has
 * `serverAuth` extended key usage and is not a CA; the CA may sign only
 * end-entity certificates (path length 0).
 *
 * @throws {TypeError} when neither a DNS name nor an IP address is given.
 *
 * @example
 * ```ts ignore
 * const tls = await generateSelfSigned({
 *   dnsNames: ["vigil-webhook.vigil-system.svc", "localhost"],
 *   ipAddresses: ["127.0.0.1"],
 * });
 * await writeCertDirectory("/tmp/vigil-certs", tls);
 * ```
 */
export async function generateSelfSigned(
  options: SelfSignedOptions = {},
): Promise<SelfSignedBundle> {
  if ((options.dnsNames ?? []).length === 0 && (options.ipAddresses ?? []).length === 0) {
    throw new TypeError("Cannot generate certificate: no DNS name or IP address given");
  }
  const ca = await generateCa(options);
  return { ...ca, ...await signServingCertificate(ca, options) };
}

/**
 * Writes a bundle in cert-manager's Secret layout: `tls.crt`, `tls.key`, `ca.crt`.
 *
 * Each file is written to a temporary name and renamed into place, so a
 * reader never sees a half-written file; a {@linkcode CertWatcher} may still
 * see the new certificate before the new key and skips that mismatched state.
 * The key is written with mode 0600.
 *
 * @throws {Deno.errors.NotFound} or other I/O errors when `dir` is not writable.
 */
export async function writeCertDirectory(dir: string, bundle: SelfSignedBundle): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await writeAtomically(`${dir}/ca.crt`, bundle.caCertPem, 0o644);
  await writeAtomically(`${dir}/tls.key`, bundle.keyPem, 0o600);
  await writeAtomically(`${dir}/tls.crt`, bundle.certPem, 0o644);
}

async function writeAtomically(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID()}`;
  await Deno.writeTextFile(tmp, data, { mode });
  await Deno.rename(tmp, path);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
  return pemEncode(der, "PRIVATE KEY");
}

function randomSerial(): Uint8Array<ArrayBuffer> {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  // A positive, non-zero serial (RFC 5280 §4.1.2.2): clear the sign bit, set a low bit.
  bytes[0] = (bytes[0] ?? 0) & 0x7f | 0x01;
  return bytes;
}
