/**
 * Fault 4: the webhook's serving certificate (CA and leaf, as a
 * cert-manager renewal with a new issuer does) is rotated three times while
 * 30 admission requests a second go through the real apiserver to the Vigil
 * pair's webhook (server-side dry-run creates, each calling the mutating and
 * validating webhooks). The webhook configurations trust the old and the new
 * CAs during the rotation, as a CA injector leaves them. Every request is
 * admitted, the process serves each new certificate, and every invariant
 * holds.
 */
import assert from "node:assert/strict";
import { databaseWebhookConfigurations, defaultVersion } from "../../src/database/mod.ts";
import { KubeClient, loadKubeConfig } from "../../src/kube/mod.ts";
import {
  CaBundleInjector,
  generateSelfSigned,
  type SelfSignedBundle,
  writeCertDirectory,
} from "../../src/webhook/mod.ts";
import { installDatabaseCrd } from "../support/database_crd.ts";
import { eventually, sharedPlane, withNamespace } from "../support/shared_plane.ts";
import { logRecords } from "../support/vigil_process.ts";
import { deleteDatabases } from "../cluster/controller/_helpers.ts";
import { delay, VigilPair } from "./_harness.ts";
import { checkInvariants, snapshot, waitConverged } from "./_invariants.ts";
import { applyDatabases, databases } from "./_workload.ts";

const PER_SECOND = 30;
const ROTATIONS = 3;
const BETWEEN_MS = 6_000;

Deno.test("fault 4: the webhook certificate rotated three times under 30 admission requests/s through the apiserver: 0 failed", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "fault-rotate", async (ns) => {
    const id = crypto.randomUUID().slice(0, 8);
    const configName = `vigil-fault-${id}`;
    await plane.kubectlOk(["label", "namespace", ns, `vigil.dev/fault-webhook=${id}`]);
    const pair = await VigilPair.start(plane, ns);
    const client = new KubeClient(
      (await loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath })).kubeConfig,
    );
    try {
      await applyDatabases(plane, ns, databases("db", 3));
      await waitConverged(plane, ns);
      const before = await snapshot(plane, ns);

      const a = pair.current("a")!;
      const next: SelfSignedBundle[] = [];
      for (let i = 0; i < ROTATIONS; i++) {
        next.push(await generateSelfSigned({ ipAddresses: ["127.0.0.1"] }));
      }
      const trusted = [
        await Deno.readTextFile(`${a.vigil.certDir}/ca.crt`),
        ...next.map((b) => b.caCertPem),
      ].join("");
      const configs = databaseWebhookConfigurations({
        name: configName,
        namespaceLabels: { "vigil.dev/fault-webhook": id },
      });
      const endpoint = { mode: "url" as const, port: a.vigil.vigil.webhookPort };
      const injector = new CaBundleInjector(client);
      await injector.applyMutating(configs.mutating, endpoint, trusted);
      await injector.applyValidating(configs.validating, endpoint, trusted);

      const path = `/apis/vigil.dev/v1/namespaces/${ns}/databases?dryRun=All`;
      const dryRunCreate = async (n: number): Promise<string> => {
        try {
          const created = await client.request<{ spec?: { version?: string } }>("POST", path, {
            body: {
              apiVersion: "vigil.dev/v1",
              kind: "Database",
              metadata: { name: `dry-${n}` },
              spec: { engine: "postgres" },
            },
          });
          // Defaulted by the mutating webhook: the request went through it.
          return created.spec?.version === defaultVersion("postgres")
            ? "admitted"
            : `not defaulted: ${JSON.stringify(created.spec)}`;
        } catch (err) {
          return String((err as Error).message).slice(0, 300);
        }
      };
      await eventually(
        "the webhooks to admit",
        async () => await dryRunCreate(0) === "admitted" ? true : undefined,
        { timeoutMs: 30_000 },
      );

      const results: string[] = [];
      const inFlight = new Set<Promise<void>>();
      let sending = true;
      const sender = (async () => {
        let due = performance.now();
        for (let n = 1; sending; n++) {
          const p = dryRunCreate(n).then((r) => {
            results.push(r);
          });
          inFlight.add(p);
          p.finally(() => inFlight.delete(p));
          due += 1_000 / PER_SECOND;
          await delay(Math.max(0, due - performance.now()));
        }
      })();
      for (const bundle of next) {
        await delay(BETWEEN_MS);
        await writeCertDirectory(a.vigil.certDir, bundle);
      }
      await delay(BETWEEN_MS);
      sending = false;
      await sender;
      await Promise.all([...inFlight]);

      const loaded = logRecords(a.vigil.vigil.lines)
        .filter((r) => r.msg === "certificate loaded")
        .map((r) => String(r.fingerprint));
      const failed = results.filter((r) => r !== "admitted");
      const report = await checkInvariants(plane, ns, pair, before);
      console.log(
        `fault 4: ${results.length} admissions in ${(ROTATIONS + 1) * BETWEEN_MS} ms ` +
          `(${failed.length} failed), ${new Set(loaded).size} certificates served, ` +
          `writes settled in ${report.settleMs} ms`,
      );
      assert.deepEqual(failed.slice(0, 5), [], `${failed.length} admissions failed`);
      assert.ok(
        results.length >= PER_SECOND * (ROTATIONS + 1) * BETWEEN_MS / 1_000 * 0.8,
        `only ${results.length} admissions were sent`,
      );
      assert.equal(new Set(loaded).size, ROTATIONS + 1, `served: ${loaded.join(", ")}`);
    } finally {
      await plane.kubectl([
        "delete",
        "mutatingwebhookconfiguration,validatingwebhookconfiguration",
        configName,
        "--ignore-not-found",
      ]);
      await deleteDatabases(plane, ns);
      await pair.stop();
    }
  });
});
