/**
 * Self-signed mode with two replicas behind one Service: both serve
 * certificates of one CA, kept in a Secret the first replica creates and
 * the second reads, so the `caBundle` they both write into the webhook
 * configurations and the CRD stays one value that trusts either replica
 * (before, each wrote its own CA and half the calls failed TLS).
 */
import assert from "node:assert/strict";
import tls from "node:tls";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";
import { installDatabaseCrd, unwireDatabaseWebhooks } from "../../support/database_crd.ts";
import { logRecords, startVigil, type VigilProcess } from "../../support/vigil_process.ts";

/** The Secret self-signed replicas share (SELF_SIGNED_CA_SECRET in src/webhook/self_signed.ts). */
const CA_SECRET = "vigil-webhook-self-signed-ca";

/** Whether a TLS handshake with `port` verifies as `servername` against `caPem`. */
function trusted(port: number, servername: string, caPem: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername, ca: caPem }, () => {
      resolve(socket.authorized ? "trusted" : `not trusted: ${socket.authorizationError}`);
      socket.destroy();
    });
    socket.on("error", (err) => resolve(`not trusted: ${err.message}`));
  });
}

async function ready(vigil: VigilProcess): Promise<true | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${vigil.healthPort}/readyz`);
    await res.body?.cancel();
    return res.ok ? true : undefined;
  } catch {
    return undefined;
  }
}

Deno.test("two self-signed replicas share one CA, created once, so the caBundle they write trusts both", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "cli-self-signed", async (ns) => {
    const service = `vigil-webhook.${ns}.svc`;
    const start = () =>
      startVigil({
        server: plane.server,
        kubeconfig: plane.kubeconfigPath,
        args: [
          "--webhook-self-signed",
          `--webhook-service=${ns}/vigil-webhook`,
          `--namespace=${ns}`,
          `--leader-election-namespace=${ns}`,
        ],
      });
    // Started together, so both may find the Secret missing: create-if-absent decides.
    const replicas = [start(), start()];
    try {
      for (const [i, r] of replicas.entries()) {
        await eventually(`replica ${i} to be ready`, () => ready(r), { timeoutMs: 60_000 })
          .catch((err) => {
            throw new Error(`${err.message}\n${r.lines.join("\n")}`);
          });
      }
      const bundles = [
        ...JSON.parse(
          await plane.kubectlOk(["get", "mutatingwebhookconfiguration", "vigil", "-o", "json"]),
        ).webhooks,
        ...JSON.parse(
          await plane.kubectlOk(["get", "validatingwebhookconfiguration", "vigil", "-o", "json"]),
        ).webhooks,
        JSON.parse(await plane.kubectlOk(["get", "crd", "databases.vigil.dev", "-o", "json"]))
          .spec.conversion.webhook,
      ].map((w: { clientConfig: { caBundle: string } }) => atob(w.clientConfig.caBundle));
      assert.equal(new Set(bundles).size, 1, "one caBundle in every webhook and the CRD");
      for (const [i, r] of replicas.entries()) {
        assert.equal(await trusted(r.webhookPort, service, bundles[0]!), "trusted", `replica ${i}`);
      }

      const secret = JSON.parse(
        await plane.kubectlOk(["-n", ns, "get", "secret", CA_SECRET, "-o", "json"]),
      );
      assert.equal(atob(secret.data["ca.crt"]), bundles[0], "the caBundle is the shared CA");
      const created = replicas.flatMap((r) =>
        logRecords(r.lines).filter((l) => l.msg === "created the shared self-signed CA")
      );
      assert.equal(created.length, 1, "exactly one replica created the CA");
      for (const r of replicas) assert.equal(await r.stop(), 0, r.lines.join("\n"));
    } finally {
      for (const r of replicas) await r.kill();
      await unwireDatabaseWebhooks(plane, "vigil");
    }
  });
});
