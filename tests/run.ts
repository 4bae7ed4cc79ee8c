/**
 * The whole test suite, as `deno task test` runs it: static checks (fmt,
 * lint, type check), unit tests, then cluster tests and the fault suite
 * (tests/faults/) against one shared real control plane that this script
 * starts and always stops (fault scenarios that restart the apiserver or
 * etcd start planes of their own).
 *
 * Usage: `deno run -A tests/run.ts [static|unit|cluster|faults]…` (default: all).
 * Prints one closing line `total: N passed, N failed` and exits non-zero on
 * any failure.
 *
 * @module
 */
import { startPlane } from "./support/plane.ts";
import { SHARED_PLANE_ENV } from "./support/shared_plane.ts";

const STAGES = ["static", "unit", "cluster", "faults"] as const;
type Stage = typeof STAGES[number];

const root = new URL("../", import.meta.url).pathname;
const deno = Deno.execPath();
const wanted: Stage[] = Deno.args.length === 0 ? [...STAGES] : Deno.args.map((a) => {
  if (!(STAGES as readonly string[]).includes(a)) {
    console.error(`tests/run.ts: unknown stage "${a}" (accepted: ${STAGES.join(", ")})`);
    Deno.exit(2);
  }
  return a as Stage;
});

let passed = 0;
let failed = 0;
const timings: string[] = [];

async function step(name: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  console.error(`\n=== ${name}: deno ${args.join(" ")}`);
  const started = performance.now();
  const child = new Deno.Command(deno, {
    args,
    cwd: root,
    env: { ...env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let tail = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000);
  }
  const status = await child.status;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  timings.push(`${name} ${seconds}s`);
  const summary = [...tail.matchAll(/(\d+) passed.*?\| (\d+) failed/g)].at(-1);
  if (summary) {
    passed += Number(summary[1]);
    failed += Number(summary[2]);
  } else if (args[0] === "test") {
    // A test run with no summary crashed before reporting: count it as a failure.
    failed += 1;
  } else {
    if (status.success) passed += 1;
    else failed += 1;
  }
  if (!status.success && summary && Number(summary[2]) === 0) failed += 1;
}

function alive(pid: number): boolean {
  try {
    // A zombie has exited already; anything else under /proc is running.
    return !/^\d+ \(.*\) Z/.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
}

const testFlags = ["test", "--allow-all", "--no-prompt"];

if (wanted.includes("static")) {
  await step("format", ["fmt", "--check"]);
  await step("lint", ["lint"]);
  await step("type check", ["check", "main.ts", "src/", "tests/", "tools/"]);
}
if (wanted.includes("unit")) {
  await step("unit tests", [...testFlags, "tests/unit/"]);
}
if (wanted.includes("cluster") || wanted.includes("faults")) {
  const started = performance.now();
  console.error("\n=== starting the shared control plane");
  let plane;
  try {
    plane = await startPlane({ log: (line) => console.error(line) });
  } catch (err) {
    console.error(`Cannot start the control plane: ${(err as Error).message}`);
    failed += 1;
  }
  if (plane) {
    timings.push(`plane start ${((performance.now() - started) / 1000).toFixed(1)}s`);
    const env = {
      [SHARED_PLANE_ENV.kubeconfig]: plane.kubeconfigPath,
      [SHARED_PLANE_ENV.server]: plane.server,
      [SHARED_PLANE_ENV.binary]: plane.binary,
      [SHARED_PLANE_ENV.etcd]: plane.etcdUrl,
    };
    try {
      if (wanted.includes("cluster")) {
        await step("cluster tests", [...testFlags, "tests/cluster/"], env);
      }
      if (wanted.includes("faults")) {
        await step("fault tests", [...testFlags, "tests/faults/"], env);
      }
    } finally {
      const pids = Object.values(plane.pids());
      await plane.stop();
      const left = pids.filter(alive);
      if (left.length > 0) {
        console.error(`the control plane left processes running: ${left.join(", ")}`);
        failed += 1;
      }
    }
  }
}

console.error(`\ntimings: ${timings.join(", ")}`);
console.log(`total: ${passed} passed, ${failed} failed`);
Deno.exit(failed === 0 ? 0 : 1);
