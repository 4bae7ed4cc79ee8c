/**
 * `main.ts` under exactly the compiled binary's permission flags (plus the
 * API server and kubeconfig a local build adds): it connects, logs the
 * server version as JSON, and exits 0 on SIGTERM. This is the proof of the
 * binary's flags, since `denort` cannot be fetched here to compile it.
 */
import assert from "node:assert/strict";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";
import { installDatabaseCrd, unwireDatabaseWebhooks } from "../../support/database_crd.ts";
import { logRecords, startVigil } from "../../support/vigil_process.ts";
import { generateSelfSigned, writeCertDirectory } from "../../../src/webhook/mod.ts";
import { permissionFlags } from "../../../tools/permissions.ts";

const MAIN = new URL("../../../main.ts", import.meta.url).pathname;

Deno.test("vigil run under the binary's permission flags serves webhooks, probes and metrics, leads, and exits 0 on SIGTERM", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "cli-run", async (ns) => {
    const vigil = startVigil({
      server: plane.server,
      kubeconfig: plane.kubeconfigPath,
      args: [
        "--webhook-self-signed",
        "--webhook-url-host=127.0.0.1",
        `--leader-election-namespace=${ns}`,
        `--namespace=${ns}`,
      ],
    });
    try {
      const connected = await eventually(
        "the connected log line",
        () => Promise.resolve(logRecords(vigil.lines).find((r) => r.msg === "connected")),
      );
      assert.equal(connected.serverVersion, "v1.37.2");

      await eventually("/readyz to pass", async () => {
        const res = await fetch(`http://127.0.0.1:${vigil.healthPort}/readyz`);
        await res.body?.cancel();
        return res.ok ? true : undefined;
      }, { timeoutMs: 60_000 });

      // The apiserver defaults a Database through the self-signed webhook.
      const created = JSON.parse(
        await plane.kubectlOk(["create", "-o", "json", "-f", "-"], {
          stdin: JSON.stringify({
            apiVersion: "vigil.dev/v1",
            kind: "Database",
            metadata: { name: "via-webhook", namespace: ns },
            spec: {},
          }),
        }),
      );
      assert.match(created.spec.version, /^\d+\.\d+/);

      const getLease = async () =>
        JSON.parse(await plane.kubectlOk(["-n", ns, "get", "lease", "vigil-leader", "-o", "json"]));
      const lease = await eventually("the Lease to name a holder", async () => {
        const l = await getLease();
        return l.spec?.holderIdentity ? l : undefined;
      });
      assert.equal(lease.spec.leaseDurationSeconds, 15);

      const text = await (await fetch(`http://127.0.0.1:${vigil.metricsPort}/metrics`)).text();
      for (
        const name of [
          "rest_client_requests_total",
          "leader_election_master_status",
          "controller_runtime_webhook_requests_total",
          "controller_runtime_webhook_latency_seconds",
        ]
      ) {
        assert.ok(text.includes(name), `/metrics lacks ${name}`);
      }

      assert.equal(await vigil.stop(), 0, vigil.lines.join("\n"));
      assert.ok(logRecords(vigil.lines).some((r) => r.msg === "stopped"), vigil.lines.join("\n"));
      assert.ok(
        !(await getLease()).spec.holderIdentity,
        "the lease is released on a graceful stop",
      );
    } finally {
      await vigil.kill();
      // The self-signed mode wired the cluster to this process; unwire it for the tests after.
      await unwireDatabaseWebhooks(plane, "vigil");
    }
  });
});

Deno.test("/readyz fails until a certificate appears in the cert-manager directory, then passes", async () => {
  const plane = await sharedPlane();
  // The Database cache must be able to sync whichever test ran before.
  await installDatabaseCrd(plane);
  await withNamespace(plane, "cli-certdir", async (ns) => {
    const certDir = await Deno.makeTempDir({ prefix: "vigil-serving-certs-" });
    const vigil = startVigil({
      server: plane.server,
      kubeconfig: plane.kubeconfigPath,
      read: [certDir],
      metrics: false,
      // Reconciling is not the point: watch only this (empty) namespace.
      args: [
        `--webhook-cert-dir=${certDir}`,
        `--leader-election-namespace=${ns}`,
        `--namespace=${ns}`,
      ],
    });
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${vigil.healthPort}/readyz?verbose`);
      return { status: res.status, body: await res.text() };
    };
    try {
      const notReady = await eventually("the probe server to answer", async () => {
        try {
          return await readyz();
        } catch {
          return undefined;
        }
      });
      assert.equal(notReady.status, 500); // controller-runtime's healthz answers 500 on a failing check
      assert.match(notReady.body, /webhook-certificate/);

      await writeCertDirectory(certDir, await generateSelfSigned({ ipAddresses: ["127.0.0.1"] }));
      await eventually("/readyz to pass once tls.crt and tls.key exist", async () => {
        const r = await readyz();
        return r.status === 200 ? r : undefined;
      }, { timeoutMs: 30_000 });

      assert.equal(await vigil.stop(), 0, vigil.lines.join("\n"));
    } finally {
      await vigil.kill();
      await Deno.remove(certDir, { recursive: true });
    }
  });
});

Deno.test("vigil version and vigil crds work under the binary's permission flags", async () => {
  const run = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", ...permissionFlags(), MAIN, ...args],
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
  const version = await run("version");
  assert.equal(version.code, 0, new TextDecoder().decode(version.stderr));
  assert.match(new TextDecoder().decode(version.stdout), /^vigil \d+\.\d+\.\d+/);
  const crds = await run("crds");
  assert.equal(crds.code, 0, new TextDecoder().decode(crds.stderr));
  assert.match(new TextDecoder().decode(crds.stdout), /kind: CustomResourceDefinition/);
});

Deno.test("a bad flag exits 2 with one line naming the flag, the value and what is accepted", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissionFlags(), MAIN, "run", "--lease-duration=soon"],
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  assert.equal(out.code, 2);
  assert.equal(stderr.split("\n").length, 1, stderr);
  assert.match(stderr, /--lease-duration/);
  assert.match(stderr, /"soon"/);
  assert.match(stderr, /accepted: a duration like 15s/);
});
