/**
 * promtool (`github.com/prometheus/prometheus/cmd/promtool`), built once from
 * the wrapper module `tests/tools/promtool/` into the tool cache, and the two
 * commands the monitoring tests run with it: `check rules` and `test rules`.
 *
 * @module
 */
import { ensureGoTool } from "./go_tool_build.ts";

/** What one promtool run printed and how it exited. */
export interface PromtoolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The Prometheus release of the module `tests/tools/promtool/go.mod` requires
 * (`v0.316.0`; its `VERSION` file reads 3.16.0), stamped into the binary so
 * `promtool --version` says what was built.
 */
export const PROMTOOL_VERSION = "3.16.0";

let built: Promise<string> | undefined;

/** Path of the promtool binary, building it on first use (minutes when the cache is cold). */
export function promtoolPath(): Promise<string> {
  built ??= ensureGoTool({
    name: "promtool",
    binaries: { promtool: "github.com/prometheus/prometheus/cmd/promtool" },
    ldflags: [`-X github.com/prometheus/common/version.Version=${PROMTOOL_VERSION}`],
  }).then((paths) => paths.promtool!);
  return built;
}

/** Runs promtool with `args`, in `cwd` when given, with `stdin` as its input when given. */
export async function promtool(
  args: readonly string[],
  options: { readonly cwd?: string; readonly stdin?: string } = {},
): Promise<PromtoolResult> {
  const child = new Deno.Command(await promtoolPath(), {
    args: [...args],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}
