/**
 * The binary's permission flags follow what a user may configure: `main.ts
 * run` under exactly `tools/permissions.ts` (plus only the API server,
 * kubeconfig and certificate directory a local build adds) reads a YAML
 * kubeconfig (its parser is imported on first use), listens on
 * non-default ports, on IPv6 and IPv4 at once, and on an IPv6 loopback
 * address; what the flags cannot grant is refused at start with exit 2 and
 * a line naming the flag, instead of a `NotCapable` later.
 */
import assert from "node:assert/strict";
import YAML from "yaml";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import { logRecords, startVigil } from "../../support/vigil_process.ts";
import { freePorts } from "../../support/ports.ts";
import { generateSelfSigned, writeCertDirectory } from "../../../src/webhook/mod.ts";
import { permissionFlags } from "../../../tools/permissions.ts";
import { admit, trustingClient } from "./_admission.ts";

const MAIN = new URL("../../../main.ts", import.meta.url).pathname;

async function status(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url);
    await res.body?.cancel();
    return res.status;
  } catch {
    return undefined;
  }
}

Deno.test("under the binary's own grants vigil run reads a YAML kubeconfig and listens on any port, IPv6 and IPv4, and on [::1]", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "cli-grants", async (ns) => {
    const certDir = await Deno.makeTempDir({ prefix: "vigil-grants-certs-" });
    // The plane writes JSON; users' kubeconfigs are YAML, whose parser vigil
    // imports only when it meets one: it must be in what the binary may load.
    const kubeconfig = `${certDir}/kubeconfig.yaml`;
    await Deno.writeTextFile(
      kubeconfig,
      YAML.stringify(JSON.parse(await Deno.readTextFile(plane.kubeconfigPath))),
    );
    const bundle = await generateSelfSigned({ ipAddresses: ["127.0.0.1", "::1"] });
    await writeCertDirectory(certDir, bundle);
    const [webhook, metrics, health] = freePorts(3) as [number, number, number];
    const vigil = startVigil({
      server: plane.server,
      kubeconfig,
      read: [certDir],
      args: [
        `--namespace=${ns}`,
        `--leader-election-namespace=${ns}`,
        `--webhook-cert-dir=${certDir}`,
        `--webhook-port=${webhook}`,
        `--metrics-bind-address=:${metrics}`,
        `--health-probe-bind-address=[::1]:${health}`,
      ],
    });
    const client = trustingClient(bundle.caCertPem);
    try {
      await eventually(
        "/readyz on [::1] to pass",
        async () => (await status(`http://[::1]:${health}/readyz`)) === 200 ? true : undefined,
        { timeoutMs: 60_000 },
      ).catch((err) => {
        throw new Error(`${err.message}\n${vigil.lines.join("\n")}`);
      });
      assert.equal(await status(`http://[::1]:${metrics}/metrics`), 200, "metrics over IPv6");
      assert.equal(await status(`http://127.0.0.1:${metrics}/metrics`), 200, "metrics over IPv4");
      assert.equal(await admit(client, "[::1]", webhook), "allowed", "webhook over IPv6");
      assert.equal(await admit(client, "127.0.0.1", webhook), "allowed", "webhook over IPv4");
      assert.equal(await vigil.stop(), 0, vigil.lines.join("\n"));
      const denied = logRecords(vigil.lines).filter((r) =>
        /NotCapable|PermissionDenied/.test(
          JSON.stringify(r),
        )
      );
      assert.deepEqual(denied, []);
    } finally {
      client.close();
      await vigil.kill();
      await Deno.remove(certDir, { recursive: true });
    }
  });
});

Deno.test("a listener address or certificate directory the binary is not granted exits 2 naming the flag and how to grant it", async () => {
  const plane = await sharedPlane();
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...permissionFlags({ read: [plane.kubeconfigPath], net: [new URL(plane.server).host] }),
        MAIN,
        "run",
        `--kubeconfig=${plane.kubeconfigPath}`,
        ...args,
      ],
      clearEnv: true,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
      // Without the check the process runs on, unready for ever: stop it.
      signal: AbortSignal.timeout(20_000),
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr).trim() };
  };
  const certs = await run("--webhook-cert-dir=/srv/vigil-certs");
  assert.equal(certs.code, 2, certs.stderr);
  assert.equal(certs.stderr.split("\n").length, 1, certs.stderr);
  assert.match(certs.stderr, /--webhook-cert-dir/);
  assert.match(certs.stderr, /\/srv\/vigil-certs/);
  assert.match(certs.stderr, /VIGIL_ALLOW_READ/);

  const listener = await run("--metrics-bind-address=192.0.2.10:8080");
  assert.equal(listener.code, 2, listener.stderr);
  assert.equal(listener.stderr.split("\n").length, 1, listener.stderr);
  assert.match(listener.stderr, /--metrics-bind-address/);
  assert.match(listener.stderr, /192\.0\.2\.10:8080/);
  assert.match(listener.stderr, /VIGIL_ALLOW_NET/);
});

Deno.test("the binary may reach the in-cluster API server on any KUBERNETES_SERVICE_PORT and listen on any port of every interface", async () => {
  const probe = `
    const q = (host) => Deno.permissions.querySync({ name: "net", host }).state;
    console.log(JSON.stringify(JSON.parse(Deno.args[0]).map(q)));
  `;
  const hosts = [
    "kubernetes.default.svc:443",
    "kubernetes.default.svc:6443",
    "0.0.0.0:9443",
    "[::]:19443",
    "127.0.0.1:18080",
    "[::1]:18081",
  ];
  const script = await Deno.makeTempFile({ suffix: ".js" });
  await Deno.writeTextFile(script, probe);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissionFlags(), script, JSON.stringify(hosts)],
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(script);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const states = JSON.parse(new TextDecoder().decode(out.stdout)) as string[];
  assert.deepEqual(Object.fromEntries(hosts.map((h, i) => [h, states[i]])), {
    ...Object.fromEntries(hosts.map((h) => [h, "granted"])),
  });
});
