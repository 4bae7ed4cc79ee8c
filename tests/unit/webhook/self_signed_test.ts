import "reflect-metadata";
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import * as x509 from "@peculiar/x509";
import {
  CertificateError,
  generateCa,
  generateSelfSigned,
  parseCertificatePair,
  signServingCertificate,
  writeCertDirectory,
} from "../../../src/webhook/mod.ts";

const names = {
  dnsNames: ["vigil-webhook.vigil-system.svc", "localhost"],
  ipAddresses: ["127.0.0.1"],
};

Deno.test("self-signed serving certificate chains to its CA and carries the SANs", async () => {
  const bundle = await generateSelfSigned(names);
  const ca = new x509.X509Certificate(bundle.caCertPem);
  const leaf = new x509.X509Certificate(bundle.certPem);
  assert.ok(await ca.verify({ signatureOnly: true }), "CA is self-signed");
  assert.ok(
    await leaf.verify({ publicKey: ca.publicKey, signatureOnly: true }),
    "leaf signed by CA",
  );
  assert.equal(leaf.issuer, ca.subject);
  const chain = await new x509.X509ChainBuilder({ certificates: [ca] }).build(leaf);
  assert.equal(chain.length, 2);

  const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
  const sans = san?.names.toJSON().map((n) => `${n.type}:${n.value}`);
  assert.deepEqual(sans, [
    "dns:vigil-webhook.vigil-system.svc",
    "dns:localhost",
    "ip:127.0.0.1",
  ]);
  assert.equal(leaf.getExtension(x509.BasicConstraintsExtension)?.ca, false);
  assert.equal(ca.getExtension(x509.BasicConstraintsExtension)?.ca, true);
  assert.deepEqual([...(leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])], [
    x509.ExtendedKeyUsage.serverAuth,
  ]);
  assert.ok(leaf.notBefore.getTime() < Date.now() && leaf.notAfter.getTime() > Date.now());
  assert.equal((leaf.publicKey.algorithm as EcKeyAlgorithm).namedCurve, "P-256");
});

/** What `openssl verify -x509_strict -purpose sslserver` says of the leaf against the CA. */
async function opensslVerify(caPem: string, leafPem: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ca.crt`, caPem);
    await Deno.writeTextFile(`${dir}/tls.crt`, leafPem);
    const out = await new Deno.Command("openssl", {
      args: ["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "ca.crt", "tls.crt"],
      cwd: dir,
    }).output();
    return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function opensslText(pem: string): Promise<string> {
  const child = new Deno.Command("openssl", {
    args: ["x509", "-noout", "-text"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(pem));
  await writer.close();
  return new TextDecoder().decode((await child.output()).stdout);
}

Deno.test("OpenSSL verifies the serving certificate strictly, for TLS servers, with IPv6 names", async () => {
  const bundle = await generateSelfSigned({ ...names, ipAddresses: ["127.0.0.1", "::1"] });
  assert.equal((await opensslVerify(bundle.caCertPem, bundle.certPem)).trim(), "tls.crt: OK");
  const leaf = await opensslText(bundle.certPem);
  assert.match(leaf, /Version: 3 \(0x2\)/);
  assert.match(leaf, /Issuer: CN ?= ?vigil-webhook-ca/);
  assert.match(leaf, /Subject: CN ?= ?vigil-webhook.vigil-system.svc/);
  assert.match(
    leaf,
    /DNS:vigil-webhook.vigil-system.svc, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1/,
  );
  assert.match(leaf, /Basic Constraints: critical\s+CA:FALSE/);
  assert.match(leaf, /Key Usage: critical\s+Digital Signature\n/);
  const ca = await opensslText(bundle.caCertPem);
  assert.match(ca, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
  assert.match(ca, /Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
  // The leaf names the CA's key as its authority's.
  const ski = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(ca)?.[1];
  assert.ok(ski !== undefined && leaf.includes(ski), `leaf's authority key is not ${ski}`);
});

Deno.test("a CA another library made (an older Vigil's shared CA) signs serving certificates", async () => {
  const keys = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign", "verify"],
  );
  const old = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=vigil-webhook-ca",
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const caPem = old.toString("pem") + "\n";
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  const caKeyPem = x509.PemConverter.encode(pkcs8, "PRIVATE KEY") + "\n";
  const leaf = await signServingCertificate({ caCertPem: caPem, caKeyPem }, names);
  assert.equal((await opensslVerify(caPem, leaf.certPem)).trim(), "tls.crt: OK");
  const ski = old.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const aki = new x509.X509Certificate(leaf.certPem)
    .getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  assert.equal(aki, ski);
});

Deno.test("signing refuses a CA key that is not the CA certificate's, and a malformed CA", async () => {
  const a = await generateCa();
  const b = await generateCa();
  await assert.rejects(
    signServingCertificate({ caCertPem: a.caCertPem, caKeyPem: b.caKeyPem }, names),
    /its private key does not match its certificate/,
  );
  await assert.rejects(
    signServingCertificate({ caCertPem: "garbage", caKeyPem: a.caKeyPem }, names),
    /Cannot sign with the CA: expected a PEM certificate .*no PEM CERTIFICATE block/,
  );
});

Deno.test("a serving certificate for a malformed IP address is refused naming it", async () => {
  const ca = await generateCa();
  for (const bad of ["127.0.0.256", "1::2::3", "fe80::1%eth0", "10.0.0", "localhost"]) {
    await assert.rejects(
      signServingCertificate(ca, { ipAddresses: [bad] }),
      new RegExp(`"${bad}" is not an IPv4 or IPv6 address`),
    );
  }
});

Deno.test("generateSelfSigned refuses a certificate without names", async () => {
  await assert.rejects(generateSelfSigned({}), TypeError);
});

Deno.test("parseCertificatePair accepts PKCS#8 and SEC1 keys and rejects a foreign key", async () => {
  const a = await generateSelfSigned(names);
  const b = await generateSelfSigned(names);
  const pair = parseCertificatePair(a.certPem, a.keyPem);
  assert.match(pair.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.ok(pair.notAfter > new Date());
  const sec1 = String(createPrivateKey(a.keyPem).export({ type: "sec1", format: "pem" }));
  assert.match(sec1, /BEGIN EC PRIVATE KEY/);
  assert.equal(parseCertificatePair(a.certPem, sec1).fingerprint, pair.fingerprint);
  assert.throws(() => parseCertificatePair(a.certPem, b.keyPem), CertificateError);
  assert.throws(() => parseCertificatePair("garbage", a.keyPem), /no PEM CERTIFICATE block/);
  assert.throws(() => parseCertificatePair(a.certPem, "garbage"), /private key does not parse/);
});

Deno.test("writeCertDirectory writes the cert-manager layout", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bundle = await generateSelfSigned(names);
    await writeCertDirectory(dir, bundle);
    assert.equal(await Deno.readTextFile(`${dir}/tls.crt`), bundle.certPem);
    assert.equal(await Deno.readTextFile(`${dir}/tls.key`), bundle.keyPem);
    assert.equal(await Deno.readTextFile(`${dir}/ca.crt`), bundle.caCertPem);
    assert.equal((await Deno.stat(`${dir}/tls.key`)).mode! & 0o777, 0o600);
    const entries = [];
    for await (const e of Deno.readDir(dir)) entries.push(e.name);
    assert.deepEqual(entries.sort(), ["ca.crt", "tls.crt", "tls.key"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
