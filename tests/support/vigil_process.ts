/**
 * Runs `main.ts run` as a child process under exactly the compiled binary's
 * permission flags (`tools/permissions.ts`), plus only what a local build
 * adds (`VIGIL_ALLOW_NET` / `VIGIL_ALLOW_READ`): the API server, the
 * kubeconfig and the files a test names — the way the tests prove those
 * flags. The listeners get no grant of their own: the binary's must cover
 * them on any port.
 *
 * @module
 */
import { permissionFlags } from "../../tools/permissions.ts";
import { freePorts } from "./ports.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Options of {@link startVigil}. */
export interface VigilProcessOptions {
  /** The API server URL (its host:port is granted). */
  readonly server: string;
  readonly kubeconfig: string;
  /** More `vigil run` flags. */
  readonly args?: readonly string[];
  /** More readable paths (a certificate directory), as `VIGIL_ALLOW_READ` adds them. */
  readonly read?: readonly string[];
  /** More environment variables (e.g. `VIGIL_*` twins of flags). */
  readonly env?: Readonly<Record<string, string>>;
  /** Serve metrics on their own port; default true (else `--metrics-bind-address=0`). */
  readonly metrics?: boolean;
}

/** A running `vigil run`. */
export interface VigilProcess {
  readonly child: Deno.ChildProcess;
  /** Lines written to stderr so far (JSON log lines). */
  readonly lines: string[];
  readonly healthPort: number;
  readonly metricsPort: number | undefined;
  readonly webhookPort: number;
  /** Sends SIGTERM and resolves with the exit code once the process and its output are done. */
  stop(): Promise<number>;
  /** SIGKILLs it if still running and waits; safe to call in `finally`. */
  kill(): Promise<void>;
}

/**
 * Starts `main.ts run` with probe, metrics and webhook listeners on free
 * ports of every interface (`:port`); `args` may override any of them.
 */
export function startVigil(options: VigilProcessOptions): VigilProcess {
  const [health, metrics, webhook] = freePorts(3) as [number, number, number];
  const withMetrics = options.metrics ?? true;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...permissionFlags({
        net: [new URL(options.server).host],
        read: [options.kubeconfig, ...(options.read ?? [])],
      }),
      MAIN,
      "run",
      `--kubeconfig=${options.kubeconfig}`,
      `--health-probe-bind-address=:${health}`,
      withMetrics ? `--metrics-bind-address=:${metrics}` : "--metrics-bind-address=0",
      `--webhook-port=${webhook}`,
      "--log-format=json",
      ...(options.args ?? []),
    ],
    // A short webhook drain keeps the suite fast; the drain's own test sets its length.
    env: { VIGIL_SHUTDOWN_WEBHOOK_DRAIN: "1s", ...options.env, NO_COLOR: "1" },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const reading = collectLines(child.stderr, lines);
  return {
    child,
    lines,
    healthPort: health,
    metricsPort: withMetrics ? metrics : undefined,
    webhookPort: webhook,
    async stop() {
      child.kill("SIGTERM");
      const status = await child.status;
      await reading;
      return status.code;
    },
    async kill() {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await child.status;
      await reading.catch(() => {});
    },
  };
}

async function collectLines(stream: ReadableStream<Uint8Array>, lines: string[]): Promise<void> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      lines.push(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  }
  if (buffer !== "") lines.push(buffer);
}

/** The parsed JSON log records among `lines`. */
export function logRecords(lines: readonly string[]): Record<string, unknown>[] {
  return lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}
