/**
 * Webhook throughput, tail latency, CPU per request and RSS, against the
 * transport floor, in one run.
 *
 * Each server runs in its own process pinned to core 0 (`taskset -c 0`); the
 * load generator (`tests/tools/webhook-go`, Go, HTTP/1.1 keep-alive over TLS
 * 1.3, one connection per concurrent request, like the apiserver's client)
 * runs pinned to core 1, so it is not the bottleneck. Every server gets the
 * same AdmissionReview body (a CREATE of `examples/postgres.yaml` as the
 * apiserver sends it, managedFields included) and the same certificate:
 *
 * - `vigil`: Vigil's WebhookServer (on `node:https`) with the Database validating handler;
 * - `vigil-node`: the same router and handler behind a plain `node:https` bridge;
 * - `floor-deno` / `floor-node`: a bare TLS server on that stack that reads
 *   the body and answers a fixed AdmissionReview (what no handler can beat).
 *
 * Every server runs with the binary's V8 flags (`tools/permissions.ts`).
 *
 * CPU µs per request is the server's user+system time (`/proc/<pid>/stat`)
 * over the measured window divided by the requests answered in it; RSS is
 * `VmRSS` before the load and its peak during it.
 *
 * The machine's 2 cores are shared, so absolute figures are noisy: read the
 * ratios, which come from one run.
 *
 * Usage: `deno run -A tests/bench/webhook_throughput_bench.ts [seconds per row [kinds...]]`
 * (default 3 s after 1 s of warm-up; kinds default to all four).
 *
 * @module
 */
import { ensureGoTool } from "../support/go_tool_build.ts";
import { generateSelfSigned, writeCertDirectory } from "../../src/webhook/mod.ts";
import { admissionReviewBody } from "./_webhook_review.ts";
import { V8_FLAGS } from "../../tools/permissions.ts";

const SECONDS = Number(Deno.args[0] ?? 3);
const KINDS = Deno.args.length > 1
  ? Deno.args.slice(1)
  : ["floor-deno", "vigil", "floor-node", "vigil-node"];
const CONCURRENCIES = [1, 8, 32, 128];
/** controller-runtime v0.25.2 on this machine class, one core (issue 14): req/s and p99 ms. */
const GO: Record<number, { rps: number; p99: number }> = {
  1: { rps: 3_449, p99: 0.86 },
  8: { rps: 6_407, p99: 5.0 },
  32: { rps: 4_961, p99: 16.6 },
  128: { rps: 4_820, p99: 48.9 },
};
const SERVER = new URL("./_webhook_server.ts", import.meta.url).pathname;
const TICKS_PER_SECOND = 100;

function cpuTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime, stime
}

function rssMiB(pid: number): number {
  const text = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(text.match(/^VmRSS:\s+(\d+) kB/m)?.[1]) / 1024;
}

interface Row {
  kind: string;
  c: number;
  rps: number;
  p50: number;
  p99: number;
  failures: number;
  cpuUs: number;
  idleRss: number;
  peakRss: number;
}

async function measure(
  load: string,
  kind: string,
  dir: string,
  bodyFile: string,
  caFile: string,
): Promise<Row[]> {
  const server = new Deno.Command("taskset", {
    // Every kind runs with the V8 flags the binary is compiled with, so that
    // `vigil` is measured as it ships and the floors on the same footing.
    args: [
      "-c",
      "0",
      Deno.execPath(),
      "run",
      "-A",
      `--v8-flags=${V8_FLAGS.join(",")}`,
      SERVER,
      kind,
      dir,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const rows: Row[] = [];
  try {
    const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${kind} server exited before listening`);
      out += value;
    }
    reader.releaseLock();
    const port = Number(out.trim());
    for (const c of CONCURRENCIES) {
      const idleRss = rssMiB(server.pid);
      let peakRss = idleRss;
      const sampler = setInterval(() => peakRss = Math.max(peakRss, rssMiB(server.pid)), 100);
      const gen = new Deno.Command("taskset", {
        args: [
          "-c",
          "1",
          load,
          `-url=https://127.0.0.1:${port}/validate-vigil-dev-v1-database`,
          `-ca=${caFile}`,
          `-body=${bodyFile}`,
          `-c=${c}`,
          `-d=${SECONDS}s`,
          "-warmup=1s",
        ],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      // The window starts 1 s in (warm-up) and lasts SECONDS; sample CPU at both ends.
      await new Promise((r) => setTimeout(r, 1_000));
      const t0 = cpuTicks(server.pid);
      await new Promise((r) => setTimeout(r, SECONDS * 1_000));
      const t1 = cpuTicks(server.pid);
      const result = await gen.output();
      clearInterval(sampler);
      if (!result.success) throw new Error(`load generator failed for ${kind} c=${c}`);
      const r = JSON.parse(new TextDecoder().decode(result.stdout));
      rows.push({
        kind,
        c,
        rps: r.rps,
        p50: r.p50Ms,
        p99: r.p99Ms,
        failures: r.failures,
        cpuUs: ((t1 - t0) / TICKS_PER_SECOND) * 1e6 / Math.max(1, r.requests),
        idleRss,
        peakRss,
      });
    }
  } finally {
    server.kill("SIGTERM");
    await server.status;
  }
  return rows;
}

const load = (await ensureGoTool({
  name: "webhook-go",
  binaries: { "webhook-load": "." },
}))["webhook-load"]!;
const dir = await Deno.makeTempDir({ prefix: "vigil-webhook-bench-" });
try {
  const bundle = await generateSelfSigned({ ipAddresses: ["127.0.0.1"] });
  await writeCertDirectory(dir, bundle);
  const caFile = `${dir}/ca.crt`;
  const bodyFile = `${dir}/review.json`;
  await Deno.writeTextFile(caFile, bundle.caCertPem);
  await Deno.writeTextFile(bodyFile, admissionReviewBody());
  const rows: Row[] = [];
  for (const kind of KINDS) rows.push(...await measure(load, kind, dir, bodyFile, caFile));
  const floorOf = (kind: string, c: number) => {
    // Vigil's WebhookServer runs on node:https, so its floor is the bare node:https server.
    const floor = kind === "floor-deno" ? "floor-deno" : "floor-node";
    return rows.find((r) => r.kind === floor && r.c === c);
  };
  console.log(
    `webhook throughput: server on core 0, Go load generator on core 1, TLS 1.3 keep-alive, ` +
      `${SECONDS} s per row after 1 s warm-up, body ${admissionReviewBody().length} B, ` +
      `V8 flags ${V8_FLAGS.join(" ")} ` +
      `(Deno ${Deno.version.deno}; shared machine: compare ratios, not absolutes)`,
  );
  console.log(
    "| server     |   c |   req/s | p50 ms | p99 ms | CPU µs/req | RSS idle→peak MiB | " +
      "req/s ÷ floor | req/s ÷ Go | p99 ÷ Go | failed |",
  );
  console.log(
    "|------------|----:|--------:|-------:|-------:|-----------:|------------------:|" +
      "--------------:|-----------:|---------:|-------:|",
  );
  for (const r of rows) {
    const floor = floorOf(r.kind, r.c);
    const go = GO[r.c]!;
    console.log(
      `| ${r.kind.padEnd(10)} | ${String(r.c).padStart(3)} | ${r.rps.toFixed(0).padStart(7)} | ${
        r.p50.toFixed(2).padStart(6)
      } | ${r.p99.toFixed(2).padStart(6)} | ${r.cpuUs.toFixed(0).padStart(10)} | ${
        `${r.idleRss.toFixed(0)}→${r.peakRss.toFixed(0)}`.padStart(17)
      } | ${
        (floor === undefined || floor === r ? "" : (r.rps / floor.rps).toFixed(2)).padStart(13)
      } | ${(r.rps / go.rps).toFixed(2).padStart(10)} | ${
        (r.p99 / go.p99).toFixed(2).padStart(8)
      } | ${String(r.failures).padStart(6)} |`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
