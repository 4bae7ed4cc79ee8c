/**
 * `vigil run`: connect to the cluster and run until SIGTERM or SIGINT.
 *
 * @module
 */
import type { OperatorConfig } from "../config.ts";
import { KubeClient, loadKubeConfig } from "../kube/mod.ts";
import { getLogger, setupLogging } from "../observability/log.ts";
import { VERSION } from "../version.ts";

/** Runs the operator; resolves with the process exit code once it has stopped. */
export async function runOperator(config: OperatorConfig): Promise<number> {
  setupLogging({ level: config.logLevel, format: config.logFormat });
  const log = getLogger("vigil");
  const loaded = loadKubeConfig({
    ...(config.kubeconfig === undefined ? {} : { kubeconfigPath: config.kubeconfig }),
    ...(config.context === undefined ? {} : { context: config.context }),
  });
  const client = new KubeClient(loaded.kubeConfig, { userAgent: `vigil/${VERSION}` });
  const server = await client.request<{ gitVersion: string }>("GET", "/version", {
    timeoutMs: 10_000,
  });
  log.info("connected", {
    version: VERSION,
    server: loaded.server,
    serverVersion: server.gitVersion,
    source: loaded.source,
  });

  const stop = new AbortController();
  const onSignal = (signal: Deno.Signal) => () => {
    log.info("stopping", { signal });
    stop.abort();
  };
  const handlers = (["SIGTERM", "SIGINT"] as const).map((s) => [s, onSignal(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  try {
    await new Promise<void>((resolve) => stop.signal.addEventListener("abort", () => resolve()));
  } finally {
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  }
  log.info("stopped");
  return 0;
}
