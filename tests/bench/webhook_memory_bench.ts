/**
 * Memory of a `vigil run` process through a webhook load (issue 14, item 4):
 * its resident set idle, at its peak under a closed-loop load on the
 * validating webhook, and in the seconds after the load stops.
 *
 * `main.ts run` runs under the compiled binary's permission and V8 flags
 * (`tests/support/vigil_process.ts`, `tools/permissions.ts` `V8_FLAGS`)
 * against an apiserver plane of its own with the Database CRD installed, all
 * its threads pinned to core 0; the Go load generator of
 * `webhook_throughput_bench.ts` (HTTP/1.1 keep-alive over TLS 1.3, one
 * connection per concurrent request) runs on core 1 and posts the same
 * AdmissionReview body to `/validate-vigil-dev-v1-database`.
 *
 * `VmRSS` is read from `/proc/<pid>/status` every 250 ms. "Idle" is the
 * median of the last 5 s of samples after a 5 s warm-up load and 30 s of
 * rest: a replica serves webhooks all the time, and the first requests leave
 * some 30 MiB resident for good (lazily compiled code and native state: the
 * V8 heap itself is back below its size before the first request, and a
 * second load returns to the same level; glibc malloc tunables change
 * nothing), so the idle of a process that never served one is printed but
 * not the reference. The target is a peak within 100 MiB of idle and, within
 * 30 s after the load, an RSS back within 10% of idle (the issue says "back
 * to idle"; 10% is this bench's reading of it, since an allocator never hands
 * every page back).
 *
 * Usage: `deno run -A tests/bench/webhook_memory_bench.ts [load seconds [concurrency]]`
 * (default 60 s at c = 32).
 *
 * @module
 */
import { ensureGoTool } from "../support/go_tool_build.ts";
import { startPlane } from "../support/plane.ts";
import { startVigil } from "../support/vigil_process.ts";
import { buildCrd } from "../../src/database/crd.ts";
import { DATABASE_WEBHOOK_PATHS } from "../../src/database/webhook_configurations.ts";
import { generateSelfSigned, writeCertDirectory } from "../../src/webhook/mod.ts";
import { V8_FLAGS } from "../../tools/permissions.ts";
import { admissionReviewBody } from "./_webhook_review.ts";

const LOAD_SECONDS = Number(Deno.args[0] ?? 60);
const CONCURRENCY = Number(Deno.args[1] ?? 32);
const IDLE_SECONDS = 10;
const WARM_UP_SECONDS = 5;
const SETTLE_SECONDS = 30;
const AFTER_SECONDS = 30;
const SAMPLE_MS = 250;
const PEAK_BUDGET_MIB = 100;
const BACK_TO_IDLE_RATIO = 1.1;

function statusMiB(pid: number, field: string): number {
  const text = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1]) / 1024;
}

const rssMiB = (pid: number) => statusMiB(pid, "VmRSS");

/** The resident set as the kernel splits it: anonymous pages, and file pages (the binary's code). */
function split(pid: number): string {
  const anon = statusMiB(pid, "RssAnon").toFixed(0);
  return `anonymous ${anon}, file ${statusMiB(pid, "RssFile").toFixed(0)}`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** RSS every {@linkcode SAMPLE_MS} for `seconds`, as [ms since `t0`, MiB]. */
async function sample(pid: number, seconds: number, t0: number): Promise<[number, number][]> {
  const out: [number, number][] = [];
  const end = performance.now() + seconds * 1_000;
  while (performance.now() < end) {
    out.push([performance.now() - t0, rssMiB(pid)]);
    // Sampling at a fixed rate is the measurement itself, not a wait on a condition.
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
  }
  return out;
}

async function waitFor(what: string, done: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!await done()) {
    if (Date.now() > deadline) throw new Error(`Cannot see ${what} within 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const load = (await ensureGoTool({
  name: "webhook-go",
  binaries: { "webhook-load": "." },
}))["webhook-load"]!;
const plane = await startPlane({ mode: "apiserver" });
const dir = await Deno.makeTempDir({ prefix: "vigil-webhook-memory-" });
try {
  const crd = structuredClone(buildCrd()) as { spec: { conversion?: unknown } };
  crd.spec.conversion = { strategy: "None" };
  await plane.kubectlOk(["apply", "--server-side", "-f", "-"], { stdin: JSON.stringify(crd) });
  await plane.kubectlOk(["wait", "--for=condition=Established", "crd/databases.vigil.dev"]);
  const certDir = `${dir}/certs`;
  const bundle = await generateSelfSigned({ ipAddresses: ["127.0.0.1"] });
  await writeCertDirectory(certDir, bundle);
  await Deno.writeTextFile(`${dir}/ca.crt`, bundle.caCertPem);
  await Deno.writeTextFile(`${dir}/review.json`, admissionReviewBody());
  const server: string =
    JSON.parse(Deno.readTextFileSync(plane.kubeconfigPath)).clusters[0].cluster.server;
  const vigil = startVigil({
    server,
    kubeconfig: plane.kubeconfigPath,
    read: [certDir],
    args: [
      `--webhook-cert-dir=${certDir}`,
      "--leader-election-namespace=default",
      `--leader-election-id=vigil-webhook-memory-${crypto.randomUUID().slice(0, 8)}`,
    ],
  });
  try {
    const pid = vigil.child.pid;
    await waitFor("/readyz pass", async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${vigil.healthPort}/readyz`);
        await res.body?.cancel();
        return res.ok;
      } catch {
        return false;
      }
    });
    await waitFor("it lead", () => vigil.lines.some((l) => l.includes('"became leader"')));
    const pin = await new Deno.Command("taskset", { args: ["-a", "-p", "-c", "0", String(pid)] })
      .output();
    if (!pin.success) throw new Error(`Cannot pin vigil run to core 0: ${pin.stderr}`);
    const runLoad = (seconds: number) =>
      new Deno.Command("taskset", {
        args: [
          "-c",
          "1",
          load,
          `-url=https://127.0.0.1:${vigil.webhookPort}${DATABASE_WEBHOOK_PATHS.validate}`,
          `-ca=${dir}/ca.crt`,
          `-body=${dir}/review.json`,
          `-c=${CONCURRENCY}`,
          `-d=${seconds}s`,
          "-warmup=0s",
        ],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
    const t0 = performance.now();
    const cold = await sample(pid, IDLE_SECONDS, t0);
    const coldSplit = split(pid);
    const warmUp = runLoad(WARM_UP_SECONDS);
    await sample(pid, WARM_UP_SECONDS, t0);
    if (!(await warmUp.output()).success) throw new Error("load generator failed in the warm-up");
    const idle = await sample(pid, SETTLE_SECONDS, t0);
    const idleSplit = split(pid);
    const gen = runLoad(LOAD_SECONDS);
    const loadStart = performance.now() - t0;
    const during = await sample(pid, LOAD_SECONDS, t0);
    const result = await gen.output();
    if (!result.success) throw new Error("load generator failed");
    const loadEnd = performance.now() - t0;
    const after = await sample(pid, AFTER_SECONDS, t0);
    const afterSplit = split(pid);
    const r = JSON.parse(new TextDecoder().decode(result.stdout));

    const lastFive = (samples: [number, number][]) =>
      median(samples.slice(-Math.round(5_000 / SAMPLE_MS)).map(([, m]) => m));
    const coldRss = lastFive(cold);
    const idleRss = lastFive(idle);
    const peak = Math.max(...during.map(([, m]) => m), ...after.map(([, m]) => m));
    const at = (s: number) => after.find(([t]) => t >= loadEnd + s * 1_000)?.[1] ?? Number.NaN;
    const backAt = after.find(([, m]) => m <= idleRss * BACK_TO_IDLE_RATIO)?.[0];
    const f = (n: number) => n.toFixed(0);
    console.log(
      `webhook memory: vigil run (V8 flags ${V8_FLAGS.join(" ")}) pinned to core 0, ` +
        `c=${CONCURRENCY} for ${LOAD_SECONDS} s from core 1 (Deno ${Deno.version.deno})`,
    );
    console.log(
      `  load: ${r.requests} requests, ${r.failures} failed, ${f(r.rps)} req/s, ` +
        `p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`,
    );
    console.log(
      `  RSS MiB: idle before any request ${f(coldRss)}, idle after the warm-up ${
        f(idleRss)
      } ("idle" below), peak ${f(peak)} (+${f(peak - idleRss)}, budget +${PEAK_BUDGET_MIB}: ${
        peak - idleRss <= PEAK_BUDGET_MIB ? "met" : "NOT met"
      }), at load end ${f(during.at(-1)?.[1] ?? Number.NaN)}, after 5 s ${f(at(5))}, ` +
        `10 s ${f(at(10))}, 30 s ${f(after.at(-1)?.[1] ?? Number.NaN)}`,
    );
    console.log(
      `  back within 10% of idle: ${
        backAt === undefined
          ? `NOT within ${AFTER_SECONDS} s`
          : `${((backAt - loadEnd) / 1000).toFixed(1)} s after the load`
      }`,
    );
    console.log(
      `  of which (MiB): before any request ${coldSplit}; after the warm-up ${idleSplit}; ` +
        `${AFTER_SECONDS} s after the load ${afterSplit}`,
    );
    console.log(
      `  RSS each 5 s from the load's start (MiB): ${
        [...during, ...after].filter((_, i) => i % 20 === 0).map(([t, m]) =>
          `${((t - loadStart) / 1000).toFixed(0)}s:${f(m)}`
        ).join(" ")
      }`,
    );
  } finally {
    await vigil.stop();
  }
} finally {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await plane.stop();
}
