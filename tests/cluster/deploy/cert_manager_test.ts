/**
 * `deploy/vigil.yaml` with the real cert-manager (controller and cainjector
 * built from its module, CRDs from the same module): the Certificate becomes
 * Ready and its Secret is written; cainjector copies the CA into both
 * webhook configurations and the CRD's conversion webhook; `main.ts run`,
 * authenticated only as the manifest's ServiceAccount and given exactly that
 * Secret's files in a kubelet-style Secret volume, reports `/readyz` ok and
 * serves a certificate that chains to the injected CA. Then the Certificate
 * is renewed as `cmctl renew` does it, the volume is updated the way the
 * kubelet updates it, and a client that trusts whatever `caBundle` the
 * webhook configuration holds at that moment (as the API server does) sees
 * no failed request from before the renewal until Vigil serves the new
 * certificate — including while the API server already trusts what
 * cainjector injected for the new Secret but the kubelet has not yet
 * updated the volume.
 */
import assert from "node:assert/strict";
import tls from "node:tls";
import { X509Certificate } from "node:crypto";
import YAML from "yaml";
import { eventually, sharedPlane } from "../../support/shared_plane.ts";
import {
  type CertManager,
  certManagerVersion,
  installCertManagerCrds,
  startCertManager,
} from "../../support/cert_manager.ts";
import { startVigil, type VigilProcess } from "../../support/vigil_process.ts";
import { tokenKubeconfig } from "../../support/token_kubeconfig.ts";
import { unwireDatabaseWebhooks } from "../../support/database_crd.ts";
import { createKubeletDir, rotateKubeletDir } from "../../unit/webhook/_kubelet_dir.ts";
import { databaseReview } from "../cli/_admission.ts";
import { DATABASE_WEBHOOK_PATHS } from "../../../src/database/mod.ts";
import { KubeClient, loadKubeConfig } from "../../../src/kube/mod.ts";
import { Informer, type KubeObject } from "../../../src/runtime/mod.ts";
import type { SelfSignedBundle } from "../../../src/webhook/mod.ts";

const MANIFEST = new URL("../../../deploy/vigil.yaml", import.meta.url);
/** cert-manager's own namespace here: its Leases and ClusterIssuer Secrets. */
const CERT_MANAGER_NAMESPACE = "cert-manager";

interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

/** What the test reads from `deploy/vigil.yaml` instead of restating it. */
function readManifest(text: string) {
  const objects = YAML.parseAllDocuments(text).map((d) => d.toJSON() as ManifestObject)
    .filter((o) => o !== null);
  const one = (kind: string) => {
    const found = objects.filter((o) => o.kind === kind);
    assert.equal(found.length, 1, `deploy/vigil.yaml has one ${kind}`);
    return found[0]!;
  };
  const deployment = one("Deployment") as ManifestObject & {
    spec: {
      template: {
        spec: { serviceAccountName: string; containers: { args: string[] }[] };
      };
    };
  };
  // The serving Certificate: the one cainjector is told to take the CA from.
  const validating = one("ValidatingWebhookConfiguration");
  const injectFrom = validating.metadata.annotations?.["cert-manager.io/inject-ca-from"] ?? "";
  const certificate = objects.find((o) =>
    o.kind === "Certificate" && `${o.metadata.namespace}/${o.metadata.name}` === injectFrom
  ) as ManifestObject & { spec: { secretName: string; dnsNames: string[] } } | undefined;
  assert.ok(certificate, `deploy/vigil.yaml has the Certificate "${injectFrom}" cainjector reads`);
  const args = deployment.spec.template.spec.containers[0]!.args;
  const leaseFlag = args.find((a) => a.startsWith("--leader-election-id="));
  assert.ok(leaseFlag, `the Deployment passes --leader-election-id: ${args.join(" ")}`);
  return {
    objects,
    namespace: certificate.metadata.namespace!,
    certificate,
    serviceAccount: deployment.spec.template.spec.serviceAccountName,
    leaseFlag,
    mutating: one("MutatingWebhookConfiguration").metadata.name,
    validating: validating.metadata.name,
    crd: one("CustomResourceDefinition").metadata.name,
  };
}

/** The decoded files of a `kubernetes.io/tls` Secret written by cert-manager. */
interface TlsFiles {
  readonly crt: string;
  readonly key: string;
  readonly ca: string;
}

function tlsFiles(secret: { data?: Record<string, string> }): TlsFiles | undefined {
  const file = (name: string) => {
    const b64 = secret.data?.[name];
    return b64 === undefined || b64 === "" ? undefined : atob(b64);
  };
  const crt = file("tls.crt"), key = file("tls.key"), ca = file("ca.crt");
  return crt && key && ca ? { crt, key, ca } : undefined;
}

/** The Secret files in the shape the kubelet-volume helper writes. */
function asBundle(files: TlsFiles): SelfSignedBundle {
  return { certPem: files.crt, keyPem: files.key, caCertPem: files.ca, caKeyPem: "" };
}

/** The PEM certificate blocks of a bundle, normalised. */
function pemBlocks(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
}

/** SHA-256 fingerprint of the first certificate of a PEM chain, as node:tls prints it. */
function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

/**
 * The certificate `127.0.0.1:port` serves for `serverName`, verified against
 * `caPem` (a failed verification rejects).
 */
function servedFingerprint(port: number, serverName: string, caPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: "127.0.0.1", port, servername: serverName, ca: [caPem] },
      () => {
        const cert = socket.getPeerCertificate();
        socket.end();
        resolve(cert.fingerprint256);
      },
    );
    socket.on("error", reject);
  });
}

/**
 * POSTs an AdmissionReview to the mutating webhook over TLS to
 * `127.0.0.1:port` as the API server would: server name `serverName`,
 * trusting only `caPem`. Resolves on a 200 answer for that review, else
 * rejects saying what went wrong.
 */
async function admitOverTls(port: number, serverName: string, caPem: string): Promise<void> {
  const uid = crypto.randomUUID();
  const body = JSON.stringify(databaseReview(uid));
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  let conn: Deno.TlsConn | undefined;
  try {
    conn = await Deno.startTls(tcp, { hostname: serverName, caCerts: [caPem] });
    const request = `POST ${DATABASE_WEBHOOK_PATHS.mutate} HTTP/1.1\r\n` +
      `Host: ${serverName}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${
        new TextEncoder().encode(body).length
      }\r\nConnection: close\r\n\r\n${body}`;
    await conn.write(new TextEncoder().encode(request));
    const raw = await new Response(conn.readable).text();
    conn = undefined; // the readable closed it
    const [head = "", rest = ""] = raw.split(/\r\n\r\n(.*)/s);
    const status = head.match(/^HTTP\/1\.1 (\d{3})/)?.[1];
    if (status !== "200") throw new Error(`answered ${head.split("\r\n")[0] || "nothing"}`);
    const payload = /transfer-encoding:\s*chunked/i.test(head) ? dechunk(rest) : rest;
    const review = JSON.parse(payload) as { response?: { uid?: string } };
    if (review.response?.uid !== uid) throw new Error(`answered another review: ${payload}`);
  } finally {
    try {
      (conn ?? tcp).close();
    } catch {
      // already closed
    }
  }
}

function dechunk(text: string): string {
  let out = "";
  let rest = text;
  for (;;) {
    const nl = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, nl), 16);
    if (!(size > 0)) return out;
    out += rest.slice(nl + 2, nl + 2 + size);
    rest = rest.slice(nl + 2 + size + 2);
  }
}

/** The `caBundle`s cainjector wrote, decoded. */
async function injectedBundles(
  plane: Awaited<ReturnType<typeof sharedPlane>>,
  m: ReturnType<typeof readManifest>,
): Promise<string[]> {
  const get = async (kindName: string) =>
    JSON.parse(await plane.kubectlOk(["get", kindName, "-o", "json"]));
  const mutating = await get(`mutatingwebhookconfiguration/${m.mutating}`);
  const validating = await get(`validatingwebhookconfiguration/${m.validating}`);
  const crd = await get(`crd/${m.crd}`);
  const bundles = [
    ...mutating.webhooks.map((w: { clientConfig: { caBundle?: string } }) =>
      w.clientConfig.caBundle
    ),
    ...validating.webhooks.map((w: { clientConfig: { caBundle?: string } }) =>
      w.clientConfig.caBundle
    ),
    crd.spec.conversion?.webhook?.clientConfig?.caBundle,
  ];
  return bundles.map((b) => (typeof b === "string" && b !== "" ? atob(b) : ""));
}

/**
 * Follows the validating webhook configuration's `caBundle` through a watch,
 * so each request trusts what the API server would trust at that moment.
 */
async function followCaBundle(kubeconfigPath: string, name: string) {
  const client = new KubeClient((await loadKubeConfig({ kubeconfigPath })).kubeConfig);
  const informer = new Informer<KubeObject>(client, {
    group: "admissionregistration.k8s.io",
    version: "v1",
    plural: "validatingwebhookconfigurations",
    namespaced: false,
    kind: "ValidatingWebhookConfiguration",
  }, { fieldSelector: `metadata.name=${name}` });
  const ac = new AbortController();
  const running = informer.start(ac.signal);
  await informer.waitForSync(ac.signal);
  return {
    current(): string {
      const object = informer.store.list()[0] as
        | { webhooks?: { clientConfig?: { caBundle?: string } }[] }
        | undefined;
      const b64 = object?.webhooks?.[0]?.clientConfig?.caBundle;
      return b64 ? atob(b64) : "";
    },
    async stop() {
      ac.abort();
      await running;
    },
  };
}

Deno.test("cert-manager issues and injects deploy/vigil.yaml's webhook certificate, and Vigil serves it through a renewal with no failed request", async () => {
  const plane = await sharedPlane();
  const m = readManifest(await Deno.readTextFile(MANIFEST));
  const serverName = m.certificate.spec.dnsNames[0]!;
  const tmp = await Deno.makeTempDir({ prefix: "vigil-cert-manager-" });
  let certManager: CertManager | undefined;
  let vigil: VigilProcess | undefined;
  let caFollower: Awaited<ReturnType<typeof followCaBundle>> | undefined;
  const crdNames: string[] = [];
  const diagnostics = () => `${certManager?.log() ?? ""}\n--- vigil\n${vigil?.lines.join("\n")}`;
  try {
    crdNames.push(...await installCertManagerCrds(plane));
    await plane.kubectlOk(["create", "namespace", CERT_MANAGER_NAMESPACE]);
    certManager = await startCertManager(plane, CERT_MANAGER_NAMESPACE);
    console.error(`cert-manager ${await certManagerVersion()} running`);

    await plane.kubectlOk(["apply", "--server-side", "--force-conflicts", "-f", MANIFEST.pathname]);
    const certificate = `certificate/${m.certificate.metadata.name}`;
    const ready = await plane.kubectl([
      "-n",
      m.namespace,
      "wait",
      "--for=condition=Ready",
      certificate,
      "--timeout=120s",
    ]);
    assert.equal(ready.code, 0, `the Certificate becomes Ready: ${ready.stderr}\n${diagnostics()}`);

    const readSecret = async () =>
      tlsFiles(JSON.parse(
        await plane.kubectlOk([
          "-n",
          m.namespace,
          "get",
          "secret",
          m.certificate.spec.secretName,
          "-o",
          "json",
        ]),
      ));
    const first = await readSecret();
    assert.ok(first, "the Secret has tls.crt, tls.key and ca.crt");
    assert.deepEqual(
      new X509Certificate(first.crt).subjectAltName?.split(", ").sort(),
      m.certificate.spec.dnsNames.map((n) => `DNS:${n}`).sort(),
    );

    // cainjector: both webhook configurations and the CRD's conversion webhook.
    await eventually("cainjector to inject ca.crt everywhere", async () => {
      const bundles = await injectedBundles(plane, m);
      return bundles.length === 3 && bundles.every((b) => b === first.ca) ? true : undefined;
    }, { timeoutMs: 60_000 }).catch((err) => {
      throw new Error(`${(err as Error).message}\n${diagnostics()}`);
    });

    // Vigil as the manifest's ServiceAccount, with exactly the Secret's files.
    const token = (await plane.kubectlOk([
      "create",
      "token",
      m.serviceAccount,
      "-n",
      m.namespace,
      "--duration=1h",
    ])).trim();
    const kubeconfig = `${tmp}/kubeconfig`;
    await Deno.writeTextFile(
      kubeconfig,
      await tokenKubeconfig(plane.kubeconfigPath, token, m.namespace),
    );
    const certDir = `${tmp}/certs`;
    await Deno.mkdir(certDir);
    await createKubeletDir(certDir, asBundle(first));
    vigil = startVigil({
      server: plane.server,
      kubeconfig,
      read: [certDir],
      args: [
        `--webhook-cert-dir=${certDir}`,
        `--leader-election-namespace=${m.namespace}`,
        m.leaseFlag,
      ],
    });
    const port = vigil.webhookPort;
    await eventually("/readyz to pass", async () => {
      const res = await fetch(`http://127.0.0.1:${vigil!.healthPort}/readyz`);
      await res.body?.cancel();
      return res.ok ? true : undefined;
    }, { timeoutMs: 60_000 }).catch((err) => {
      throw new Error(`${(err as Error).message}\n${diagnostics()}`);
    });
    caFollower = await followCaBundle(plane.kubeconfigPath, m.validating);
    assert.equal(caFollower.current(), first.ca);
    // Chains to the injected CA (the handshake verifies it) and is the Secret's certificate.
    await admitOverTls(port, serverName, caFollower.current());
    assert.equal(
      await servedFingerprint(port, serverName, caFollower.current()),
      fingerprint(first.crt),
    );

    // Requests all through the renewal, each trusting the caBundle of that moment.
    let sent = 0;
    const failures: string[] = [];
    let sending = true;
    const sender = (async () => {
      while (sending) {
        sent++;
        await admitOverTls(port, serverName, caFollower!.current()).catch((err) => {
          failures.push(`request ${sent}: ${(err as Error).message}`);
        });
      }
    })();
    const sentAfter = async (what: string, n: number) => {
      const target = sent + n;
      await eventually(
        `${n} more requests ${what}`,
        () => Promise.resolve(sent >= target || undefined),
      );
    };
    await sentAfter("before the renewal", 20);

    // `cmctl renew`: the Issuing condition, set on the status subresource.
    const crt = JSON.parse(
      await plane.kubectlOk(["-n", m.namespace, "get", certificate, "-o", "json"]),
    );
    await plane.kubectlOk([
      "-n",
      m.namespace,
      "patch",
      certificate,
      "--subresource=status",
      "--type=json",
      "-p",
      JSON.stringify([{
        op: "add",
        path: "/status/conditions/-",
        value: {
          type: "Issuing",
          status: "True",
          reason: "ManuallyTriggered",
          message: "Certificate re-issuance manually triggered",
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          observedGeneration: crt.metadata.generation,
        },
      }]),
    ]);
    const second = await eventually("the Secret to hold a new certificate", async () => {
      const files = await readSecret();
      return files && files.crt !== first.crt ? files : undefined;
    }, { timeoutMs: 120_000 }).catch((err) => {
      throw new Error(`${(err as Error).message}\n${diagnostics()}`);
    });
    assert.notEqual(fingerprint(second.crt), fingerprint(first.crt));
    // cert-manager writes the Secret before the Certificate's status: wait for
    // the revision to move, then check it moved by exactly one.
    const revision = await eventually("the Certificate's revision to move", async () => {
      const r = (await plane.kubectlOk([
        "-n",
        m.namespace,
        "get",
        certificate,
        "-o",
        "jsonpath={.status.revision}",
      ])).trim();
      return r !== String(crt.status.revision) ? r : undefined;
    }, { timeoutMs: 60_000 });
    assert.equal(
      revision,
      String(Number(crt.status.revision) + 1),
      "the renewal is the Certificate's next revision",
    );
    // What the API server trusts once cainjector has seen the new Secret,
    // while the kubelet (a minute or more in a real cluster) has not yet
    // updated the volume and Vigil still serves the old files. cert-manager
    // v1.21's cainjector merges the new CA into the bundle and keeps the
    // old one until it expires (CAInjectorMerging, GA), so the self-signed
    // certificate's renewal changes the CA without distrusting the old one.
    await eventually("cainjector to add the new Secret's ca.crt to every caBundle", async () => {
      const bundles = await injectedBundles(plane, m);
      const state = bundles.map((b) => {
        const blocks = pemBlocks(b);
        return blocks.includes(pemBlocks(second.ca)[0]!)
          ? (blocks.includes(pemBlocks(first.ca)[0]!) ? "old+new" : "new")
          : "old";
      });
      const followed = pemBlocks(caFollower!.current()).includes(pemBlocks(second.ca)[0]!);
      if (state.every((s) => s !== "old") && followed) return state;
      throw new Error(`caBundles: ${state.join(", ")}; followed: ${followed}`);
    }, { timeoutMs: 60_000 }).catch((err) => {
      throw new Error(`${(err as Error).message}\n${diagnostics()}`);
    });
    await sentAfter("with the old files and the new Secret's CA injected", 20);

    // The kubelet's update: an atomic symlink swap of the whole directory.
    await rotateKubeletDir(certDir, asBundle(second));
    await eventually("Vigil to serve the renewed certificate", async () => {
      const served = await servedFingerprint(port, serverName, caFollower!.current());
      return served === fingerprint(second.crt) ? true : undefined;
    }, { timeoutMs: 30_000 });
    await sentAfter("after the swap", 20);
    sending = false;
    await sender;

    assert.deepEqual(failures, [], `${failures.length} of ${sent} requests failed`);
    console.error(`${sent} requests through the renewal, none failed`);
    await fetch(`http://127.0.0.1:${vigil.healthPort}/readyz`).then(async (res) => {
      await res.body?.cancel();
      assert.ok(res.ok, "still ready after the renewal");
    });
    assert.equal(await vigil.stop(), 0, diagnostics());
  } finally {
    await caFollower?.stop();
    await vigil?.kill();
    await certManager?.stop();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    // No later test meets webhooks whose server is gone, a conversion
    // webhook, or objects of the manifest.
    await unwireDatabaseWebhooks(plane, m.validating);
    await unwireDatabaseWebhooks(plane, m.mutating);
    for (const o of m.objects) {
      if (o.kind === "CustomResourceDefinition" || o.kind === "Namespace") continue;
      if (o.metadata.namespace !== undefined) continue;
      await plane.kubectl(["delete", o.kind, o.metadata.name, "--ignore-not-found"]);
    }
    for (const ns of [m.namespace, CERT_MANAGER_NAMESPACE]) {
      await plane.kubectl(["delete", "namespace", ns, "--ignore-not-found", "--timeout=120s"]);
    }
    for (const name of crdNames) await plane.kubectl(["delete", name, "--ignore-not-found"]);
  }
});
