/**
 * Losing the lease ends the process (controller-runtime's choice: a leader
 * that may have been replaced must stop acting), but webhooks serve on every
 * replica regardless of leadership: while the leader exits 1, the other
 * replica answers every admission request.
 */
import assert from "node:assert/strict";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import { startVigil, type VigilProcess } from "../../support/vigil_process.ts";
import { generateSelfSigned, writeCertDirectory } from "../../../src/webhook/mod.ts";
import { admit, trustingClient } from "./_admission.ts";

async function leading(vigil: VigilProcess): Promise<boolean | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${vigil.metricsPort}/metrics`)).text();
    const value = text.match(/^leader_election_master_status\{name="vigil-leader"\} (\d)/m)?.[1];
    return value === undefined ? undefined : value === "1";
  } catch {
    return undefined;
  }
}

/** A MicroTime as the apiserver writes it. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

Deno.test("a replica that loses its lease exits 1 while the other replica's webhooks answer every request", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "cli-lease-loss", async (ns) => {
    const certDir = await Deno.makeTempDir({ prefix: "vigil-lease-loss-" });
    const bundle = await generateSelfSigned({ ipAddresses: ["127.0.0.1"] });
    await writeCertDirectory(certDir, bundle);
    const start = () =>
      startVigil({
        server: plane.server,
        kubeconfig: plane.kubeconfigPath,
        read: [certDir],
        args: [
          `--namespace=${ns}`,
          `--leader-election-namespace=${ns}`,
          `--webhook-cert-dir=${certDir}`,
          "--lease-duration=4s",
          "--renew-deadline=3s",
          "--retry-period=500ms",
        ],
      });
    const replicas = [start(), start()];
    const client = trustingClient(bundle.caCertPem);
    try {
      const leader = await eventually("one replica to lead", async () => {
        const states = await Promise.all(replicas.map(leading));
        const leaders = replicas.filter((_, i) => states[i] === true);
        return leaders.length === 1 && states.every((s) => s !== undefined)
          ? leaders[0]
          : undefined;
      }, { timeoutMs: 60_000 });
      const other = replicas.find((r) => r !== leader)!;
      assert.equal(await admit(client, "127.0.0.1", other.webhookPort), "allowed");

      const answers: string[] = [];
      let leaderExited = false;
      const leaderExit = leader.child.status.then((s) => {
        leaderExited = true;
        return s.code;
      });
      const asking = (async () => {
        while (!leaderExited) {
          answers.push(await admit(client, "127.0.0.1", other.webhookPort));
          await new Promise((r) => setTimeout(r, 50));
        }
      })();

      // Someone else takes the Lease for an hour: the leader's renewals fail until its renew
      // deadline, it loses the lease, and the other replica sees a valid holder and stays standby.
      const now = microTime(new Date());
      await plane.kubectlOk([
        "-n",
        ns,
        "patch",
        "lease",
        "vigil-leader",
        "--type=merge",
        "-p",
        JSON.stringify({
          spec: {
            holderIdentity: "someone-else",
            leaseDurationSeconds: 3600,
            acquireTime: now,
            renewTime: now,
          },
        }),
      ]);
      const code = await Promise.race([
        leaderExit,
        new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 30_000)),
      ]);
      leaderExited = true;
      await asking;
      assert.equal(code, 1, `the leader exits 1 on lease loss:\n${leader.lines.join("\n")}`);
      assert.ok(
        answers.length >= 20,
        `only ${answers.length} requests while the leader stepped down`,
      );
      assert.deepEqual(answers.filter((a) => a !== "allowed"), []);
      assert.equal(await leading(other), false, "the other replica does not take a held lease");
      assert.equal(await admit(client, "127.0.0.1", other.webhookPort), "allowed");
      assert.equal(await other.stop(), 0, other.lines.join("\n"));
    } finally {
      client.close();
      for (const r of replicas) await r.kill();
      await Deno.remove(certDir, { recursive: true });
    }
  });
});
