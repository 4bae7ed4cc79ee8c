/**
 * `main.ts` under exactly the compiled binary's permission flags (plus the
 * API server and kubeconfig a local build adds): it connects, logs the
 * server version as JSON, and exits 0 on SIGTERM. This is the proof of the
 * binary's flags, since `denort` cannot be fetched here to compile it.
 */
import assert from "node:assert/strict";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";
import { installDatabaseCrd, unwireDatabaseWebhooks } from "../../support/database_crd.ts";
import { freePorts } from "../../support/ports.ts";
import { permissionFlags } from "../../../tools/permissions.ts";

const MAIN = new URL("../../../main.ts", import.meta.url).pathname;

/** Reads `stream` line by line into `lines`; `until` resolves once `done` matches a line. */
function lineReader(stream: ReadableStream<Uint8Array>, lines: string[]) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return async function until(done: (line: string) => boolean): Promise<void> {
    while (true) {
      const { value, done: end } = await reader.read();
      if (end) return;
      buffer += value;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (done(line)) return;
      }
    }
  };
}

Deno.test("vigil run under the binary's permission flags serves webhooks, probes and metrics, leads, and exits 0 on SIGTERM", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "cli-run", async (ns) => {
    const [metrics, health, webhook] = freePorts(3);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...permissionFlags({
          net: [
            new URL(plane.server).host,
            `127.0.0.1:${metrics}`,
            `127.0.0.1:${health}`,
            `0.0.0.0:${webhook}`,
          ],
          read: [plane.kubeconfigPath],
        }),
        MAIN,
        "run",
        `--kubeconfig=${plane.kubeconfigPath}`,
        `--metrics-bind-address=127.0.0.1:${metrics}`,
        `--health-probe-bind-address=127.0.0.1:${health}`,
        `--webhook-port=${webhook}`,
        "--webhook-self-signed",
        "--webhook-url-host=127.0.0.1",
        `--leader-election-namespace=${ns}`,
      ],
      env: { NO_COLOR: "1" },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const lines: string[] = [];
    const stdout = child.stdout.pipeTo(new WritableStream());
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    const until = lineReader(child.stderr, lines);
    const reading = until(() => false);
    try {
      const connected = await eventually("the connected log line", () =>
        Promise.resolve(
          lines.map((l) => {
            try {
              return JSON.parse(l);
            } catch {
              return undefined;
            }
          }).find((r) => r?.msg === "connected"),
        ));
      assert.equal(connected.serverVersion, "v1.37.2");

      await eventually("/readyz to pass", async () => {
        const res = await fetch(`http://127.0.0.1:${health}/readyz`);
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

      const lease = await eventually("the Lease to name a holder", async () => {
        const l = JSON.parse(
          await plane.kubectlOk(["-n", ns, "get", "lease", "vigil-leader", "-o", "json"]),
        );
        return l.spec?.holderIdentity ? l : undefined;
      });
      assert.ok(lease.spec.leaseDurationSeconds === 15);

      const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
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

      child.kill("SIGTERM");
      const status = await child.status;
      await reading;
      assert.equal(status.code, 0, lines.join("\n"));
      assert.ok(lines.some((l) => l.includes('"msg":"stopped"')), lines.join("\n"));
      const released = JSON.parse(
        await plane.kubectlOk(["-n", ns, "get", "lease", "vigil-leader", "-o", "json"]),
      );
      assert.ok(!released.spec.holderIdentity, "the lease is released on a graceful stop");
    } finally {
      clearTimeout(timer);
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await child.status;
      await reading.catch(() => {});
      await stdout.catch(() => {});
      // The self-signed mode wired the cluster to this process; unwire it for the tests after.
      await unwireDatabaseWebhooks(plane, "vigil");
    }
  });
});

Deno.test("/readyz fails until a certificate appears in the cert-manager directory, then passes", async () => {
  const plane = await sharedPlane();
  await withNamespace(plane, "cli-certdir", async (ns) => {
    const certDir = await Deno.makeTempDir({ prefix: "vigil-serving-certs-" });
    const [health, webhook] = freePorts(2);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...permissionFlags({
          net: [new URL(plane.server).host, `127.0.0.1:${health}`, `0.0.0.0:${webhook}`],
          read: [plane.kubeconfigPath, certDir],
        }),
        MAIN,
        "run",
        `--kubeconfig=${plane.kubeconfigPath}`,
        "--metrics-bind-address=0",
        `--health-probe-bind-address=127.0.0.1:${health}`,
        `--webhook-port=${webhook}`,
        `--webhook-cert-dir=${certDir}`,
        `--leader-election-namespace=${ns}`,
      ],
      env: { NO_COLOR: "1" },
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const lines: string[] = [];
    const reading = lineReader(child.stderr, lines)(() => false);
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${health}/readyz?verbose`);
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

      const { generateSelfSigned, writeCertDirectory } = await import(
        "../../../src/webhook/mod.ts"
      );
      await writeCertDirectory(certDir, await generateSelfSigned({ ipAddresses: ["127.0.0.1"] }));
      await eventually("/readyz to pass once tls.crt and tls.key exist", async () => {
        const r = await readyz();
        return r.status === 200 ? r : undefined;
      }, { timeoutMs: 30_000 });

      child.kill("SIGTERM");
      assert.equal((await child.status).code, 0, lines.join("\n"));
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await child.status;
      await reading.catch(() => {});
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
