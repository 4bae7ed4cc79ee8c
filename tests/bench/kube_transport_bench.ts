/**
 * Requests per second to a real apiserver over the HTTP stacks Vigil could
 * use, all HTTP/1.1 with keep-alive and the plane's client certificate: an
 * undici `Agent` (client-node's stack), `Deno.createHttpClient` with the
 * built-in `fetch`, and `KubeClient` as it is (which uses one of them plus
 * authentication, typed errors and metrics). Each does 1,000 sequential GETs
 * of one small object, then 10 rounds of 100 concurrent GETs.
 *
 * Usage: `deno run -A tests/bench/kube_transport_bench.ts [admin.kubeconfig [trials]]`
 * (default: starts an apiserver plane of its own; 3 trials).
 */
import { Agent, fetch as undiciFetch } from "undici";
import { startPlane } from "../support/plane.ts";
import { KubeClient, loadKubeConfig } from "../../src/kube/mod.ts";

const SEQUENTIAL = 1_000;
const CONCURRENT = 100;
const ROUNDS = 10;
const TRIALS = Number(Deno.args[1] ?? 3);
const PATH = "/api/v1/namespaces/default";

type Get = () => Promise<unknown>;
interface Figures {
  sequential: number;
  p50: number;
  p99: number;
  concurrent: number;
}

async function measure(get: Get): Promise<Figures> {
  for (let i = 0; i < 50; i++) await get(); // warm-up: connections, JIT
  const latencies: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < SEQUENTIAL; i++) {
    const s = performance.now();
    await get();
    latencies.push(performance.now() - s);
  }
  const sequentialMs = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  const t1 = performance.now();
  for (let r = 0; r < ROUNDS; r++) {
    await Promise.all(Array.from({ length: CONCURRENT }, get));
  }
  const concurrentMs = performance.now() - t1;
  const q = (p: number) => latencies[Math.floor(p * (latencies.length - 1))]!;
  return {
    sequential: SEQUENTIAL / sequentialMs * 1000,
    p50: q(0.5),
    p99: q(0.99),
    concurrent: CONCURRENT * ROUNDS / concurrentMs * 1000,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const plane = Deno.args[0] === undefined ? await startPlane({ mode: "apiserver" }) : undefined;
const kubeconfigPath = Deno.args[0] ?? plane!.kubeconfigPath;
try {
  const file = JSON.parse(Deno.readTextFileSync(kubeconfigPath));
  const server: string = file.clusters[0].cluster.server;
  const ca = atob(file.clusters[0].cluster["certificate-authority-data"]);
  const cert = atob(file.users[0].user["client-certificate-data"]);
  const key = atob(file.users[0].user["client-key-data"]);
  const url = `${server}${PATH}`;
  const headers = { accept: "application/json", "user-agent": "vigil-bench" };
  const kube = new KubeClient((await loadKubeConfig({ kubeconfigPath })).kubeConfig);
  const transports: Record<string, { get: Get; close(): Promise<void> | void }> = {};
  const agent = new Agent({ connect: { ca, cert, key }, allowH2: false });
  transports["undici Agent + undici fetch"] = {
    get: async () =>
      JSON.parse(await (await undiciFetch(url, { headers, dispatcher: agent })).text()),
    close: () => agent.close(),
  };
  const client = Deno.createHttpClient({ caCerts: [ca], cert, key, http2: false });
  transports["Deno.createHttpClient + fetch"] = {
    get: async () => JSON.parse(await (await fetch(url, { headers, client })).text()),
    close: () => client.close(),
  };
  transports["KubeClient.request"] = {
    get: () => kube.request("GET", PATH),
    close: () => (kube as { close?: () => void }).close?.(),
  };

  // Trials interleave the transports so that a busy machine hurts them alike.
  const results: Record<string, Figures[]> = {};
  for (let trial = 0; trial < TRIALS; trial++) {
    for (const [name, t] of Object.entries(transports)) {
      (results[name] ??= []).push(await measure(t.get));
    }
  }
  for (const t of Object.values(transports)) await t.close();

  console.log(
    `\nGET ${PATH}, HTTP/1.1 keep-alive, client certificate; median of ${TRIALS} interleaved trials`,
  );
  for (const [name, runs] of Object.entries(results)) {
    const m = (k: keyof Figures) => median(runs.map((r) => r[k]));
    console.log(
      `  ${name.padEnd(30)} ${SEQUENTIAL} sequential ${
        m("sequential").toFixed(0).padStart(5)
      } req/s ` +
        `(p50 ${m("p50").toFixed(2)} ms, p99 ${m("p99").toFixed(2)} ms)   ` +
        `${CONCURRENT} concurrent ${m("concurrent").toFixed(0).padStart(5)} req/s`,
    );
  }
} finally {
  await plane?.stop();
}
