import "reflect-metadata";
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import * as x509 from "@peculiar/x509";
import {
  CertificateError,
  generateSelfSigned,
  parseCertificatePair,
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
