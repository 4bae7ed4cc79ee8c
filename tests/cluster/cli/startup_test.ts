/**
 * A control-plane blip does not crash-loop Vigil: `vigil run` started while
 * its API server is unreachable keeps retrying with backoff (probes answer
 * meanwhile: alive, not ready), starts serving once the server answers, and
 * exits 0 on SIGTERM.
 */
import assert from "node:assert/strict";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import { logRecords, startVigil, type VigilProcess } from "../../support/vigil_process.ts";
import { freePorts } from "../../support/ports.ts";
import { generateSelfSigned, writeCertDirectory } from "../../../src/webhook/mod.ts";
import { admit, trustingClient } from "./_admission.ts";
import { TcpProxy } from "./_tcp_proxy.ts";

async function probe(vigil: VigilProcess, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${vigil.healthPort}${path}`);
  return { status: res.status, body: await res.text() };
}

/** Fails at once, with the process's output, if it has exited. */
function alive(vigil: VigilProcess, exited: { code?: number }): void {
  if (exited.code !== undefined) {
    throw new Error(`vigil run exited ${exited.code}:\n${vigil.lines.join("\n")}`);
  }
}

Deno.test("vigil run started while the API server is unreachable retries with probes alive, then serves, and exits 0", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "cli-startup", async (ns) => {
    const tmp = await Deno.makeTempDir({ prefix: "vigil-startup-" });
    const bundle = await generateSelfSigned({ ipAddresses: ["127.0.0.1"] });
    await writeCertDirectory(`${tmp}/certs`, bundle);
    const [port] = freePorts(1) as [number];
    const proxy = new TcpProxy(port, {
      hostname: "127.0.0.1",
      port: Number(new URL(plane.server).port),
    });
    const server = `https://127.0.0.1:${port}`;
    const kubeconfig = `${tmp}/kubeconfig`;
    await Deno.writeTextFile(
      kubeconfig,
      (await Deno.readTextFile(plane.kubeconfigPath)).replaceAll(plane.server, server),
    );
    const vigil = startVigil({
      server,
      kubeconfig,
      read: [`${tmp}/certs`],
      args: [
        `--namespace=${ns}`,
        `--leader-election-namespace=${ns}`,
        `--webhook-cert-dir=${tmp}/certs`,
      ],
    });
    const exited: { code?: number } = {};
    vigil.child.status.then((s) => exited.code = s.code);
    const client = trustingClient(bundle.caCertPem);
    try {
      await eventually("two retries of the unreachable API server", () => {
        alive(vigil, exited);
        const retries = logRecords(vigil.lines).filter((r) =>
          r.msg === "API server not reachable yet; retrying"
        );
        return Promise.resolve(retries.length >= 2 ? true : undefined);
      }, { timeoutMs: 30_000 });
      const healthz = await probe(vigil, "/healthz");
      assert.equal(healthz.status, 200, "alive while it waits: the kubelet must not restart it");
      const readyz = await probe(vigil, "/readyz?verbose");
      assert.equal(readyz.status, 500);
      assert.match(readyz.body, /api-server failed: .*not reached yet/);

      proxy.open();
      await eventually("/readyz to pass once the API server answers", async () => {
        alive(vigil, exited);
        return (await probe(vigil, "/readyz")).status === 200 ? true : undefined;
      }, { timeoutMs: 60_000 });
      assert.equal(await admit(client, "127.0.0.1", vigil.webhookPort), "allowed");
      assert.ok(logRecords(vigil.lines).some((r) => r.msg === "connected"));
      assert.equal(await vigil.stop(), 0, vigil.lines.join("\n"));
    } finally {
      client.close();
      await vigil.kill();
      await proxy.close();
      await Deno.remove(tmp, { recursive: true });
    }
  });
});
