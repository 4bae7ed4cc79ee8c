/**
 * Leader failover of `vigil run` with its default timings (lease 15 s,
 * renew 10 s, retry 2 s): two processes under the binary's permission flags
 * on one plane; the time from stopping the leader until the other holds the
 * Lease, for a graceful stop (SIGTERM: the lease is released) and for
 * `kill -9` (the lease must expire). Three trials each.
 *
 * Usage: `deno run -A tests/bench/failover_bench.ts [trials]`.
 */
import { startPlane } from "../support/plane.ts";
import { startVigil, type VigilProcess } from "../support/vigil_process.ts";
import { generateSelfSigned, writeCertDirectory } from "../../src/webhook/mod.ts";

const trials = Number(Deno.args[0] ?? 3);
const plane = await startPlane({ mode: "apiserver" });
const certDir = await Deno.makeTempDir({ prefix: "vigil-failover-certs-" });
await writeCertDirectory(certDir, await generateSelfSigned({ ipAddresses: ["127.0.0.1"] }));

const holder = async (): Promise<string> => {
  const r = await plane.kubectl([
    "-n",
    "default",
    "get",
    "lease",
    "vigil-leader",
    "-o",
    "jsonpath={.spec.holderIdentity}",
  ]);
  return r.code === 0 ? r.stdout.trim() : "";
};
const identityOf = (p: VigilProcess): string | undefined => {
  for (const line of p.lines) {
    try {
      const r = JSON.parse(line) as { msg?: string; identity?: string };
      if (r.msg === "became leader" && r.identity) return r.identity;
    } catch {
      // not JSON
    }
  }
  return undefined;
};
const start = () =>
  startVigil({
    server: plane.server,
    kubeconfig: plane.kubeconfigPath,
    read: [certDir],
    metrics: false,
    args: [`--webhook-cert-dir=${certDir}`, "--leader-election-namespace=default"],
  });
async function waitFor<T>(
  what: string,
  f: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`Cannot observe ${what} within ${timeoutMs} ms`);
}

const results: Record<"graceful" | "kill -9", number[]> = { graceful: [], "kill -9": [] };
const running: VigilProcess[] = [];
try {
  for (const mode of ["graceful", "kill -9"] as const) {
    for (let i = 0; i < trials; i++) {
      const a = start();
      running.push(a);
      const leaderId = await waitFor("a first leader", () => Promise.resolve(identityOf(a)));
      const b = start();
      running.push(b);
      // b is a standby once it is ready (it serves webhooks and probes on every replica).
      await waitFor("the standby to be ready", async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${b.healthPort}/readyz`);
          await res.body?.cancel();
          return res.ok ? true : undefined;
        } catch {
          return undefined;
        }
      });
      const t0 = performance.now();
      if (mode === "graceful") a.child.kill("SIGTERM");
      else a.child.kill("SIGKILL");
      await waitFor("the standby to take the lease", async () => {
        const h = await holder();
        return h !== "" && h !== leaderId ? h : undefined;
      }, 60_000);
      results[mode].push(performance.now() - t0);
      await a.kill();
      await b.stop();
      await b.kill();
    }
  }
} finally {
  for (const p of running) await p.kill();
  await plane.stop();
  await Deno.remove(certDir, { recursive: true });
}

const fmt = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(", ");
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]! / 1000;
console.log(`\nleader failover of vigil run, default timings (lease 15 s, renew 10 s, retry 2 s)`);
console.log(
  `  graceful stop (lease released)  median ${median(results.graceful).toFixed(2)} s  (runs: ${
    fmt(results.graceful)
  })`,
);
console.log(
  `  kill -9 (lease must expire)     median ${median(results["kill -9"]).toFixed(2)} s  (runs: ${
    fmt(results["kill -9"])
  })`,
);
