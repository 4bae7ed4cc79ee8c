/**
 * Self-signed mode: a CA and serving certificates signed by it.
 *
 * For development and for running the operator outside a cluster; production
 * uses cert-manager. Keys are ECDSA P-256 made with WebCrypto; certificates are
 * built with `@peculiar/x509`, loaded on first use: with cert-manager's
 * certificates Vigil never builds one, and the library and its
 * `reflect-metadata` cost ~12 MiB resident.
 *
 * @module
 */
import type * as X509 from "@peculiar/x509";

async function loadX509(): Promise<typeof X509> {
  await import("reflect-metadata"); // @peculiar/x509's decorators need it first
  return await import("@peculiar/x509");
}

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
  const x509 = await loadX509();
  const now = (options.now ?? (() => new Date()))().getTime();
  const caKeys = await crypto.subtle.generateKey(EC_PARAMS, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${options.caCommonName ?? "vigil-webhook-ca"}`,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + (options.caValidityDays ?? 3650) * DAY_MS),
    keys: caKeys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  return {
    caCertPem: ca.toString("pem") + "\n",
    caKeyPem: await privateKeyPem(caKeys.privateKey),
  };
}

/**
 * Signs a serving certificate for the given names with `ca` (a fresh key each call).
 *
 * Guarantees: the leaf is signed by the CA, carries the SANs given, has
 * `serverAuth` extended key usage and is not a CA.
 *
 * @throws {TypeError} when neither a DNS name nor an IP address is given.
 * @throws {Error} when `ca` is not a PEM certificate with its PKCS#8 ECDSA P-256 key.
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
  const x509 = await loadX509();
  const now = (options.now ?? (() => new Date()))().getTime();
  const caCert = new x509.X509Certificate(ca.caCertPem);
  const caKey = await crypto.subtle.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(ca.caKeyPem),
    EC_PARAMS,
    false,
    ["sign"],
  );
  const caPublicKey = await caCert.publicKey.export(EC_PARAMS, ["verify"]);
  const leafKeys = await crypto.subtle.generateKey(EC_PARAMS, true, ["sign", "verify"]);
  const names: X509.JsonGeneralName[] = [
    ...dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...ipAddresses.map((value) => ({ type: "ip" as const, value })),
  ];
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${dnsNames[0] ?? ipAddresses[0]}`,
    issuer: caCert.subject,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + (options.validityDays ?? 365) * DAY_MS),
    publicKey: leafKeys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caPublicKey),
    ],
  });
  return {
    certPem: leaf.toString("pem") + "\n",
    keyPem: await privateKeyPem(leafKeys.privateKey),
  };
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
  const der = await crypto.subtle.exportKey("pkcs8", key);
  return (await loadX509()).PemConverter.encode(der, "PRIVATE KEY") + "\n";
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  // A positive, non-zero serial (RFC 5280 §4.1.2.2): clear the sign bit, set a low bit.
  bytes[0] = (bytes[0] ?? 0) & 0x7f | 0x01;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
