import assert from "node:assert/strict";
import { sharedPlane } from "../../support/shared_plane.ts";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import { startVigil, type VigilProcess } from "../../support/vigil_process.ts";
import { Informer, type KubeObject } from "../../../src/runtime/mod.ts";
import { generateSelfSigned, writeCertDirectory } from "../../../src/webhook/mod.ts";
import { clientFor, createNamespace, deleteNamespace, until } from "./_helpers.ts";

const FIXTURE = new URL("./fixtures/elect.ts", import.meta.url).pathname;

interface Line {
  event: string;
  identity: string;
  at: number;
}

function spawn(kubeconfig: string, namespace: string, identity: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", FIXTURE, kubeconfig, namespace, identity],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines: Line[] = [];
  const reading = (async () => {
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let i: number;
      while ((i = buffer.indexOf("\n")) >= 0) {
        lines.push(JSON.parse(buffer.slice(0, i)) as Line);
        buffer = buffer.slice(i + 1);
      }
    }
  })();
  const leading = () =>
    lines.some((l) => l.event === "leading") &&
    !lines.some((l) => l.event === "stopped-leading");
  return {
    child,
    lines,
    leading,
    at: (event: string) => lines.find((l) => l.event === event)?.at,
    async end() {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await reading;
    },
  };
}

async function withPair(
  prefix: string,
  fn: (a: ReturnType<typeof spawn>, b: ReturnType<typeof spawn>, ns: string) => Promise<void>,
) {
  const plane = await sharedPlane();
  const client = await clientFor(plane.kubeconfigPath);
  const ns = await createNamespace(client, prefix);
  const a = spawn(plane.kubeconfigPath, ns, "a");
  const b = spawn(plane.kubeconfigPath, ns, "b");
  try {
    await fn(a, b, ns);
  } finally {
    await a.end();
    await b.end();
    await deleteNamespace(client, ns);
  }
}

/** Leadership as each replica reports it on /metrics (`undefined`: no answer). */
async function leaderMetric(vigil: VigilProcess): Promise<0 | 1 | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${vigil.metricsPort}/metrics`)).text();
    const value = text.match(/^leader_election_master_status\{name="vigil-leader"\} (\d)/m)?.[1];
    return value === "1" ? 1 : value === "0" ? 0 : undefined;
  } catch {
    return undefined;
  }
}

Deno.test("two vigil run replicas never both lead: every replica's leader metric and the Lease, watched throughout election, steady state and a graceful hand-over", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  const client = await clientFor(plane.kubeconfigPath);
  const ns = await createNamespace(client, "rt-elect");
  const certDir = await Deno.makeTempDir({ prefix: "vigil-elect-certs-" });
  await writeCertDirectory(certDir, await generateSelfSigned({ ipAddresses: ["127.0.0.1"] }));
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
  // Every change of the Lease, as the apiserver orders them.
  const holders: string[] = [];
  const leases = new Informer(client, {
    group: "coordination.k8s.io",
    version: "v1",
    plural: "leases",
    namespaced: true,
    kind: "Lease",
  }, { namespace: ns });
  const onLease = (lease: KubeObject) => {
    const holder = (lease as { spec?: { holderIdentity?: string } }).spec?.holderIdentity ?? "";
    if (holders.at(-1) !== holder) holders.push(holder);
  };
  leases.addEventHandler({ onAdd: onLease, onUpdate: (_old, lease) => onLease(lease) });
  const stopWatch = new AbortController();
  const watching = leases.start(stopWatch.signal);
  const replicas = [start(), start()];
  // Both replicas' metric, sampled together every 50 ms for the whole test.
  const samples: Array<{ atMs: number; states: Array<0 | 1 | undefined> }> = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const atMs = performance.now();
      samples.push({ atMs, states: await Promise.all(replicas.map(leaderMetric)) });
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const leaders = (i: number) => samples.filter((s) => s.states[i] === 1).length;
  try {
    await until("a leader", () => leaders(0) + leaders(1) > 0, 60_000);
    // Steady state: watched for 3 s of samples, not looked at once after a sleep.
    const steadyFrom = samples.length;
    await until("3 s of samples", () => samples.length >= steadyFrom + 40, 30_000);
    const first = samples.at(-1)!.states[0] === 1 ? 0 : 1;
    const standby = 1 - first;
    // A graceful hand-over: the leader stops, the standby must take over.
    replicas[first]!.child.kill("SIGTERM");
    assert.equal((await replicas[first]!.child.status).code, 0);
    await until("the standby to lead", () => samples.at(-1)!.states[standby] === 1, 30_000);
    const after = samples.length;
    await until("1 s of samples after the hand-over", () => samples.length >= after + 15, 30_000);
  } finally {
    sampling = false;
    await sampler;
    stopWatch.abort();
    await watching;
    for (const r of replicas) await r.kill();
    await deleteNamespace(client, ns);
    await Deno.remove(certDir, { recursive: true });
  }
  const both = samples.filter((s) => s.states.every((v) => v === 1));
  assert.deepEqual(both, [], `${both.length} of ${samples.length} samples show two leaders`);
  assert.ok(samples.length >= 60, `only ${samples.length} samples`);
  // The Lease went from the first leader to nobody (released) before the standby took it:
  // never straight from one holder to the other.
  const named = holders.filter((h) => h !== "");
  assert.equal(new Set(named).size, 2, `holders seen: ${JSON.stringify(holders)}`);
  for (let i = 1; i < holders.length; i++) {
    if (holders[i] !== "" && holders[i - 1] !== "") {
      assert.fail(`the Lease passed from ${holders[i - 1]} to ${holders[i]} without a release`);
    }
  }
});

Deno.test("kill -9 of the leader hands over within lease duration plus retry period", async () => {
  await withPair("rt-kill", async (a, b) => {
    await until("a leader", () => a.leading() || b.leading(), 60_000);
    const [leader, standby] = a.leading() ? [a, b] : [b, a];
    const killedAt = Date.now();
    leader.child.kill("SIGKILL");
    await until("the standby to lead", () => standby.leading(), 30_000);
    const handover = standby.at("leading")! - killedAt;
    // lease 4 s + retry 0.5 s × (1 + 1.2 jitter), plus process/apiserver slack.
    assert.ok(handover <= 4_000 + 1_100 + 1_000, `hand-over took ${handover} ms`);
  });
});

Deno.test("a graceful stop releases the lease and hands over in under 2 s", async () => {
  await withPair("rt-release", async (a, b) => {
    await until("a leader", () => a.leading() || b.leading(), 60_000);
    const [leader, standby] = a.leading() ? [a, b] : [b, a];
    const stoppedAt = Date.now();
    leader.child.kill("SIGTERM");
    assert.equal((await leader.child.status).code, 0);
    await until("the standby to lead", () => standby.leading(), 10_000);
    const handover = standby.at("leading")! - stoppedAt;
    assert.ok(handover < 2_000, `hand-over took ${handover} ms`);
  });
});
