/** Runs the plane binary's `kubectl` with a kubeconfig, optionally feeding stdin. */

/** Output of a finished command. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `kubectl --kubeconfig=<kubeconfig> <args>` through the multi-call plane binary. */
export async function runKubectl(
  binary: string,
  kubeconfig: string,
  args: readonly string[],
  options: { stdin?: string } = {},
): Promise<CommandResult> {
  const child = new Deno.Command(binary, {
    args: ["kubectl", `--kubeconfig=${kubeconfig}`, ...args],
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
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Like {@link runKubectl} but throws with kubectl's stderr on a non-zero exit. */
export async function runKubectlOk(
  binary: string,
  kubeconfig: string,
  args: readonly string[],
  options: { stdin?: string } = {},
): Promise<string> {
  const result = await runKubectl(binary, kubeconfig, args, options);
  if (result.code !== 0) {
    throw new Error(`Cannot run kubectl ${args.join(" ")}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}
