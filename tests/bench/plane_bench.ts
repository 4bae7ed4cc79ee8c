/**
 * Control-plane figures: warm start time to the apiserver's `/readyz` and to
 * Ready kwok nodes, and the memory each component uses (RSS, and PSS, which
 * splits the pages of the shared multi-call binary fairly between the
 * processes that map it, so the PSS total is the plane's real footprint).
 *
 * Usage: `deno run -A tests/bench/plane_bench.ts [runs]` (default 3).
 */
import { ensurePlaneBinary } from "../support/plane_build.ts";
import { startPlane } from "../support/plane.ts";

const runs = Number(Deno.args[0] ?? 3);
await ensurePlaneBinary();

function memoryKiB(pid: number): { rss: number; pss: number } {
  const rollup = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
  const field = (name: string) =>
    Number(rollup.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"))?.[1] ?? 0);
  return { rss: field("Rss"), pss: field("Pss") };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const apiReady: number[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const plane = await startPlane({ mode: "apiserver" });
  apiReady.push(performance.now() - t0);
  await plane.stop();
}

const fullReady: number[] = [];
let memory: Record<string, { rss: number; pss: number }> = {};
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const plane = await startPlane({ mode: "full" });
  fullReady.push(performance.now() - t0);
  if (i === runs - 1) {
    await new Promise((r) => setTimeout(r, 5000)); // let the controllers settle
    memory = Object.fromEntries(
      Object.entries(plane.pids()).map(([name, pid]) => [name, memoryKiB(pid)]),
    );
  }
  await plane.stop();
}

const mib = (kib: number) => (kib / 1024).toFixed(0).padStart(6);
console.log(`\ncontrol plane, ${runs} warm starts each (binary cached)`);
console.log(
  `  etcd + apiserver to /readyz          median ${
    (median(apiReady) / 1000).toFixed(1)
  } s  (runs: ${apiReady.map((t) => (t / 1000).toFixed(1)).join(", ")})`,
);
console.log(
  `  full plane to 3 Ready kwok nodes     median ${
    (median(fullReady) / 1000).toFixed(1)
  } s  (runs: ${fullReady.map((t) => (t / 1000).toFixed(1)).join(", ")})`,
);
console.log(`\n  component                  RSS MiB  PSS MiB`);
let rss = 0;
let pss = 0;
for (const [name, m] of Object.entries(memory)) {
  console.log(`  ${name.padEnd(25)} ${mib(m.rss)}   ${mib(m.pss)}`);
  rss += m.rss;
  pss += m.pss;
}
console.log(`  ${"total".padEnd(25)} ${mib(rss)}   ${mib(pss)}`);
