/**
 * A rollout does not break admission: after SIGTERM `vigil run` stops its
 * leader work (and releases the Lease) and its caches at once, but keeps
 * answering webhooks for `--shutdown-webhook-drain` — while EndpointSlices
 * and the apiserver still route to the terminating pod — then closes its
 * listeners last and exits 0.
 */
import assert from "node:assert/strict";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import { logRecords, startVigil } from "../../support/vigil_process.ts";
import { generateSelfSigned, writeCertDirectory } from "../../../src/webhook/mod.ts";
import { admit, trustingClient } from "./_admission.ts";

const DRAIN_MS = 4_000;

Deno.test("after SIGTERM vigil run answers admission requests for the drain period, stops leader work, caches, then listeners, and exits 0", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "cli-drain", async (ns) => {
    const certDir = await Deno.makeTempDir({ prefix: "vigil-drain-certs-" });
    const bundle = await generateSelfSigned({ ipAddresses: ["127.0.0.1"] });
    await writeCertDirectory(certDir, bundle);
    const vigil = startVigil({
      server: plane.server,
      kubeconfig: plane.kubeconfigPath,
      read: [certDir],
      // The environment twin: a binary without the setting ignores it (the test then fails on
      // the answers, not on an unknown flag).
      env: { VIGIL_SHUTDOWN_WEBHOOK_DRAIN: `${DRAIN_MS}ms` },
      args: [
        `--namespace=${ns}`,
        `--leader-election-namespace=${ns}`,
        `--webhook-cert-dir=${certDir}`,
        "--log-level=debug",
      ],
    });
    const client = trustingClient(bundle.caCertPem);
    try {
      await eventually("/readyz to pass", async () => {
        const res = await fetch(`http://127.0.0.1:${vigil.healthPort}/readyz`);
        await res.body?.cancel();
        return res.ok ? true : undefined;
      }, { timeoutMs: 60_000 });
      await eventually("the Lease to name this process", async () => {
        const lease = JSON.parse(
          await plane.kubectlOk(["-n", ns, "get", "lease", "vigil-leader", "-o", "json"]),
        );
        return lease.spec?.holderIdentity ? true : undefined;
      });
      assert.equal(await admit(client, "127.0.0.1", vigil.webhookPort), "allowed");

      const answers: Array<{ sentMs: number; answer: string }> = [];
      const exited = vigil.child.status;
      let done = false;
      exited.then(() => done = true);
      const sigterm = performance.now();
      vigil.child.kill("SIGTERM");
      while (!done) {
        const sentMs = performance.now() - sigterm;
        const answer = await admit(client, "127.0.0.1", vigil.webhookPort);
        answers.push({ sentMs, answer });
        await new Promise((r) => setTimeout(r, 50));
      }
      const exitMs = performance.now() - sigterm;
      const status = await exited;
      const { code } = status;
      // Everything sent well inside the drain was answered.
      const inDrain = answers.filter((a) => a.sentMs < DRAIN_MS - 1_000);
      // Requests throughout the drain, not a count (a loaded machine sends fewer).
      assert.ok(inDrain.length >= 5, `only ${inDrain.length} requests sent during the drain`);
      assert.ok(
        inDrain.at(-1)!.sentMs >= DRAIN_MS - 2_500,
        `the last request inside the drain was sent at ${inDrain.at(-1)!.sentMs.toFixed(0)} ms`,
      );
      assert.deepEqual(
        inDrain.filter((a) => a.answer !== "allowed"),
        [],
        "every admission request during the drain is answered",
      );
      assert.ok(
        exitMs >= DRAIN_MS,
        `exited ${exitMs.toFixed(0)} ms after SIGTERM, inside the drain`,
      );
      assert.ok(exitMs < DRAIN_MS + 10_000, `exited only ${exitMs.toFixed(0)} ms after SIGTERM`);
      await vigil.kill();
      assert.equal(code, 0, vigil.lines.join("\n"));

      const records = logRecords(vigil.lines);
      const at = (what: string, match: (r: Record<string, unknown>) => boolean) => {
        const i = records.findIndex(match);
        assert.ok(i >= 0, `no log line for ${what}`);
        return i;
      };
      const released = at("the lease release", (r) => r.msg === "released the lease");
      const caches = at("caches stopped", (r) => r.msg === "group stopped" && r.group === "caches");
      const webhooks = at("webhooks stopped", (r) => r.msg === "webhook server stopped");
      const servers = at(
        "HTTP servers stopped",
        (r) => r.msg === "group stopped" && r.group === "httpServers",
      );
      assert.ok(released < caches, "leader work (and the Lease) stops before the caches");
      assert.ok(caches < webhooks, "caches stop before the webhook listener");
      assert.ok(webhooks < servers, "probes and metrics stop last");
    } finally {
      client.close();
      await vigil.kill();
      await Deno.remove(certDir, { recursive: true });
    }
  });
});
