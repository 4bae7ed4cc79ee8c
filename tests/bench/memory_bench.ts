/**
 * Idle memory of `vigil run` before it caches a single Database: the
 * resident set (`VmRSS`, and its peak `VmHWM`, from `/proc/<pid>/status`) of
 * `main.ts run` under the binary's permission flags, against an apiserver
 * plane with the Database CRD installed and no Database, once `/readyz`
 * passes, it leads (its controllers run) and it has idled for a while,
 * over five starts (median and range: one start moves by several MiB from
 * the next), split into anonymous and file pages (the Deno binary's own
 * pages are file pages); then the V8 heap of the same start-up
 * (`Deno.memoryUsage()` after a full GC), read through
 * `_vigil_memory_probe.ts`; and, as the baseline of the same run, the
 * resident set of bare Deno (a script that only waits) after the same idle
 * time, so the figure says what Vigil adds on top of the runtime.
 *
 * Usage: `deno run -A tests/bench/memory_bench.ts [idleMs [admin.kubeconfig]]`
 * (default 10 000 ms, and an apiserver plane of its own; a given plane must
 * have the Database CRD installed).
 */
import { startPlane } from "../support/plane.ts";
import { RUNTIME_FLAGS, V8_FLAGS } from "../../tools/permissions.ts";
import { startVigil } from "../support/vigil_process.ts";
import { buildCrd } from "../../src/database/crd.ts";
import { generateSelfSigned, writeCertDirectory } from "../../src/webhook/mod.ts";

const idleMs = Number(Deno.args[0] ?? 10_000);
const MiB = 1024 * 1024;
/** Starts of `vigil run` measured; the report gives their median and range. */
const RUNS = 5;

/** A process's resident set, split as the kernel counts it: anonymous pages and file pages. */
interface Resident {
  rssMiB: number;
  hwmMiB: number;
  anonMiB: number;
  fileMiB: number;
}

function status(pid: number): Resident {
  const text = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kib = (name: string) => Number(text.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"))?.[1]);
  return {
    rssMiB: kib("VmRSS") / 1024,
    hwmMiB: kib("VmHWM") / 1024,
    anonMiB: kib("RssAnon") / 1024,
    fileMiB: kib("RssFile") / 1024,
  };
}

async function waitReady(port: number, what: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Cannot see /readyz pass within 60 s:\n${what()}`);
}

const given = Deno.args[1];
async function waitFor(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`Cannot see ${what} within 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const plane = given === undefined ? await startPlane({ mode: "apiserver" }) : undefined;
const kubeconfigPath = given ?? plane!.kubeconfigPath;
const server: string = JSON.parse(Deno.readTextFileSync(kubeconfigPath)).clusters[0].cluster.server;
const certDir = await Deno.makeTempDir({ prefix: "vigil-memory-certs-" });
try {
  if (plane !== undefined) {
    const crd = structuredClone(buildCrd()) as { spec: { conversion?: unknown } };
    crd.spec.conversion = { strategy: "None" };
    await plane.kubectlOk(["apply", "--server-side", "-f", "-"], { stdin: JSON.stringify(crd) });
    await plane.kubectlOk(["wait", "--for=condition=Established", "crd/databases.vigil.dev"]);
  }
  await writeCertDirectory(certDir, await generateSelfSigned({ ipAddresses: ["127.0.0.1"] }));
  // A lease of its own per start, so that a reused plane's old holder (or the
  // previous run's) cannot make it a standby.
  const flagsWith = (lease: string) => [
    `--webhook-cert-dir=${certDir}`,
    "--leader-election-namespace=default",
    `--leader-election-id=${lease}`,
  ];
  const newLease = () => `vigil-memory-${crypto.randomUUID().slice(0, 8)}`;
  const flags = flagsWith(newLease());

  // 1. The real entry point, under the compiled binary's permissions, started
  // RUNS times: one start's resident set moves by several MiB from the next.
  const runs: { ready: Resident; idle: Resident }[] = [];
  for (let run = 0; run < RUNS; run++) {
    const vigil = startVigil({
      server,
      kubeconfig: kubeconfigPath,
      read: [certDir],
      args: flagsWith(newLease()),
    });
    try {
      await waitReady(vigil.healthPort, () => vigil.lines.join("\n"));
      await waitFor("it to lead", () => vigil.lines.some((l) => l.includes('"became leader"')));
      const ready = status(vigil.child.pid);
      await new Promise((r) => setTimeout(r, idleMs));
      runs.push({ ready, idle: status(vigil.child.pid) });
    } finally {
      await vigil.stop();
    }
  }

  // 2. The same start-up with a window on its heap.
  const probe = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      `--v8-flags=${[...V8_FLAGS, "--expose-gc"].join(",")}`,
      ...RUNTIME_FLAGS,
      new URL("./_vigil_memory_probe.ts", import.meta.url).pathname,
      `--kubeconfig=${kubeconfigPath}`,
      "--health-probe-bind-address=127.0.0.1:18081",
      "--metrics-bind-address=0",
      "--webhook-port=19443",
      "--log-level=error",
      ...flags,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let heap: Deno.MemoryUsage;
  try {
    await waitReady(18081, () => "");
    await new Promise((r) => setTimeout(r, idleMs));
    const writer = probe.stdin.getWriter();
    await writer.write(new TextEncoder().encode("\n"));
    const reader = probe.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let line = "";
    while (!line.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      line += value;
    }
    heap = JSON.parse(line) as Deno.MemoryUsage;
    reader.releaseLock();
    await writer.close();
  } finally {
    probe.kill("SIGTERM");
    await probe.status;
    await probe.stdout.cancel().catch(() => {});
  }

  // 3. The baseline: the same Deno binary running a module that only waits
  // (a file, not `deno eval`, which costs ~4 MiB more).
  const idleScript = `${certDir}/idle.ts`;
  await Deno.writeTextFile(idleScript, "setTimeout(() => {}, 3_600_000);\n");
  const bare = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", idleScript],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  let bareRss;
  try {
    // Measuring a process at rest: nothing to wait on but the idle time itself.
    await new Promise((r) => setTimeout(r, idleMs));
    bareRss = status(bare.pid);
  } finally {
    bare.kill("SIGTERM");
    await bare.status;
  }

  const f = (n: number) => n.toFixed(1).padStart(6);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const spread = (pick: (r: Resident) => number, at: "ready" | "idle") => {
    const xs = runs.map((r) => pick(r[at]));
    return `${f(median(xs))} MiB (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
  };
  const idleRss = median(runs.map((r) => r.idle.rssMiB));
  console.log(`\nvigil run, idle, no Database cached (apiserver plane, CRD installed)`);
  console.log(`  main.ts run, ${RUNS} starts, median (min–max):`);
  console.log(`    VmRSS leading               ${spread((r) => r.rssMiB, "ready")}`);
  console.log(`    VmRSS after ${idleMs / 1000} s idle        ${spread((r) => r.rssMiB, "idle")}`);
  console.log(`      of it anonymous (RssAnon) ${spread((r) => r.anonMiB, "idle")}`);
  console.log(`      of it file pages (RssFile) ${spread((r) => r.fileMiB, "idle")}`);
  console.log(`    peak VmHWM                  ${spread((r) => r.hwmMiB, "idle")}`);
  console.log(
    `  Deno.memoryUsage() after GC: rss ${f(heap.rss / MiB)} MiB, heapTotal ${
      f(heap.heapTotal / MiB)
    } MiB, heapUsed ${f(heap.heapUsed / MiB)} MiB, external ${f(heap.external / MiB)} MiB`,
  );
  console.log(
    `  bare Deno    VmRSS after ${idleMs / 1000} s idle ${f(bareRss.rssMiB)} MiB (anonymous ${
      f(bareRss.anonMiB)
    }, file ${f(bareRss.fileMiB)}): vigil run adds ${f(idleRss - bareRss.rssMiB)} MiB (${
      (idleRss / bareRss.rssMiB).toFixed(2)
    }x bare Deno)`,
  );
  console.log(`  target: under 80 MB = ${(80e6 / MiB).toFixed(1)} MiB`);
} finally {
  await Deno.remove(certDir, { recursive: true }).catch(() => {});
  await plane?.stop();
}
