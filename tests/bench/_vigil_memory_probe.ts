/**
 * `vigil run` with a window on its heap, for `memory_bench.ts`: the same
 * start-up as `main.ts run` (env guard first, then the run command), plus one
 * line of `Deno.memoryUsage()` JSON on stdout for every line read on stdin.
 * A leading underscore keeps `tests/bench/run.ts` from running it alone.
 *
 * Usage: `deno run -A --v8-flags=--expose-gc tests/bench/_vigil_memory_probe.ts <vigil run flags>`.
 */
import "../../src/env_guard.ts";
import { parseRunConfig } from "../../src/config.ts";
import { runOperator } from "../../src/cli/run_command.ts";

const gc = (globalThis as { gc?: () => void }).gc;

async function answer(): Promise<void> {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  for await (const chunk of Deno.stdin.readable) {
    for (const _ of decoder.decode(chunk).split("\n").slice(1)) {
      gc?.();
      await Deno.stdout.write(encoder.encode(JSON.stringify(Deno.memoryUsage()) + "\n"));
    }
  }
}

answer().catch(() => {});
Deno.exit(await runOperator(parseRunConfig(Deno.args, { env: (name) => Deno.env.get(name) })));
