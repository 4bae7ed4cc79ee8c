/**
 * Webhook latency on loopback: p50/p99 and requests per second of trivial
 * validate, mutate and convert handlers at concurrency 1 and 32, 2,000
 * requests each over keep-alive connections, printed as a table.
 *
 * Run: `deno run --allow-net=127.0.0.1 --allow-read --allow-env tests/bench/webhook_latency.ts`
 *
 * @module
 */
import { admissionReview } from "../unit/webhook/_helpers.ts";
import {
  allowed,
  convertEach,
  generateSelfSigned,
  parseCertificatePair,
  patched,
  staticCertSource,
  WebhookServer,
} from "../../src/webhook/mod.ts";

const REQUESTS = 2_000;
const WARM_UP = 200;
const CONCURRENCIES = [1, 32];

const tls = await generateSelfSigned({ ipAddresses: ["127.0.0.1"] });
const server = new WebhookServer({
  certSource: staticCertSource(parseCertificatePair(tls.certPem, tls.keyPem)),
  hostname: "127.0.0.1",
  port: 0,
})
  .registerAdmission("/validate", () => Promise.resolve(allowed()))
  .registerAdmission("/mutate", (req) =>
    Promise.resolve(patched(req.object ?? {}, {
      ...req.object,
      spec: { ...(req.object?.spec as object), version: "16.4" },
    })))
  .registerConversion("/convert", convertEach((o) => ({ ...o, apiVersion: "vigil.dev/v1" })));
const controller = new AbortController();
const running = server.start(controller.signal);
const { port } = await server.listening;

const object = {
  apiVersion: "vigil.dev/v1",
  kind: "Database",
  metadata: { name: "db", namespace: "default", uid: "7d0f" },
  spec: { engine: "postgres", replicas: 3, storageSize: "10Gi" },
};
const bodies: Record<string, (i: number) => string> = {
  validate: (i) => JSON.stringify(admissionReview(`v-${i}`, object)),
  mutate: (i) => JSON.stringify(admissionReview(`m-${i}`, object)),
  convert: (i) =>
    JSON.stringify({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "ConversionReview",
      request: {
        uid: `c-${i}`,
        desiredAPIVersion: "vigil.dev/v1",
        objects: [{ ...object, apiVersion: "vigil.dev/v1beta1" }],
      },
    }),
};

async function run(path: string, concurrency: number, count: number) {
  const client = Deno.createHttpClient({ caCerts: [tls.caCertPem] });
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      const res = await fetch(`https://127.0.0.1:${port}/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: bodies[path]!(i),
        client,
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
      latencies.push(performance.now() - t0);
    }
  };
  const start = performance.now();
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    client.close();
  }
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { p50: q(0.5), p99: q(0.99), rps: count / seconds };
}

const rows: string[] = [];
try {
  for (const path of Object.keys(bodies)) {
    for (const concurrency of CONCURRENCIES) {
      await run(path, concurrency, WARM_UP);
      const r = await run(path, concurrency, REQUESTS);
      rows.push(
        `| ${path.padEnd(8)} | ${String(concurrency).padStart(11)} | ${
          r.p50.toFixed(2).padStart(8)
        } | ${r.p99.toFixed(2).padStart(8)} | ${r.rps.toFixed(0).padStart(7)} |`,
      );
    }
  }
} finally {
  controller.abort();
  await running;
}
console.log(
  `webhook latency, loopback TLS, keep-alive, ${REQUESTS} requests per row (Deno ${Deno.version.deno})`,
);
console.log("| handler  | concurrency | p50 (ms) | p99 (ms) |   req/s |");
console.log("|----------|-------------|----------|----------|---------|");
for (const row of rows) console.log(row);
