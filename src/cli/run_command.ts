/**
 * `vigil run`: build the manager — probes and metrics, the Database
 * webhooks, the caches they read, leader election — and run it until SIGTERM
 * or SIGINT.
 *
 * Exit codes: 0 after a graceful stop; 2 when the flags name what the
 * process is not granted (see grants.ts); 1 when the API server stayed
 * unreachable for `--startup-timeout` (api_server_gate.ts), a runnable failed,
 * or the lease was lost (controller-runtime's and client-go's choice: a
 * leader that lost its lease must not go on acting; the Deployment restarts
 * it as a follower). Webhooks serve on every replica whatever its
 * leadership, so the other replica's keep answering meanwhile.
 *
 * @module
 */
import type { OperatorConfig } from "../config.ts";
import { KubeClient, loadKubeConfig } from "../kube/mod.ts";
import { getLogger, setupLogging } from "../observability/log.ts";
import { Informer, Manager, ProbeServer, RuntimeMetrics } from "../runtime/mod.ts";
import { storageClassLookup, type StorageClassObject } from "../database/mod.ts";
import { createWebhookMetrics } from "../webhook/mod.ts";
import { VERSION } from "../version.ts";
import { createDatabaseController } from "../controller/mod.ts";
import { DatabaseWebhookRunnable } from "./webhook_runnable.ts";
import { checkApiServerGrant, checkListenerGrants } from "./grants.ts";
import { ApiServerGate } from "./api_server_gate.ts";

/**
 * Runs the operator; resolves with the process exit code once it has stopped.
 *
 * @throws {ConfigError} when the process's permissions do not cover a
 * listener, the certificate directory or the API server the flags name.
 */
export async function runOperator(config: OperatorConfig): Promise<number> {
  checkListenerGrants(config);
  setupLogging({ level: config.logLevel, format: config.logFormat });
  const log = getLogger("vigil");
  const loaded = await loadKubeConfig({
    ...(config.kubeconfig === undefined ? {} : { kubeconfigPath: config.kubeconfig }),
    ...(config.context === undefined ? {} : { context: config.context }),
  });
  checkApiServerGrant(loaded.server, loaded.source === "flag" ? "--kubeconfig" : loaded.source);

  const leaseNamespace = config.leaderElectionNamespace ?? loaded.namespace ?? "default";
  const metrics = new RuntimeMetrics();
  // One client for everything, reporting rest_client_requests_total.
  const client = new KubeClient(loaded.kubeConfig, {
    userAgent: `vigil/${VERSION}`,
    onRequest: metrics.onRequest,
  });
  const manager: Manager = new Manager({
    client,
    metrics,
    ...(config.leaderElect
      ? {
        leaderElection: {
          namespace: leaseNamespace,
          name: config.leaderElectionId,
          leaseDurationMs: config.leaseDurationMs,
          renewDeadlineMs: config.renewDeadlineMs,
          retryPeriodMs: config.retryPeriodMs,
        },
      }
      : {}),
    probes: config.healthProbeBindAddress === undefined ? false : {
      port: config.healthProbeBindAddress.port,
      hostname: config.healthProbeBindAddress.hostname,
    },
    gracefulShutdownTimeoutMs: config.gracefulShutdownTimeoutMs,
    webhookDrainMs: config.shutdownWebhookDrainMs,
    log: getLogger("manager"),
  });
  // In the first group, beside the probe server: probes answer while start-up waits for a
  // control plane that blips, and nothing that needs the API server starts before it answers.
  const apiServer = new ApiServerGate(client, {
    server: loaded.server,
    timeoutMs: config.startupTimeoutMs,
    log,
    onConnected: (serverVersion) =>
      log.info("connected", {
        version: VERSION,
        server: loaded.server,
        serverVersion,
        source: loaded.source,
      }),
  });
  manager.add(apiServer, { group: "httpServers" });
  manager.readyz.add("api-server", apiServer.check);

  const metricsAddress = config.metricsBindAddress;
  if (
    metricsAddress !== undefined &&
    (config.healthProbeBindAddress === undefined ||
      metricsAddress.port !== config.healthProbeBindAddress.port)
  ) {
    manager.add(
      new ProbeServer({
        port: metricsAddress.port,
        hostname: metricsAddress.hostname,
        healthz: manager.healthz,
        readyz: manager.readyz,
        registry: manager.metrics.registry,
      }),
      { group: "httpServers" },
    );
  }

  const storageClasses = new Informer(client, {
    group: "storage.k8s.io",
    version: "v1",
    plural: "storageclasses",
    namespaced: false,
    kind: "StorageClass",
  });
  const [serviceNamespace, serviceName] = config.webhookService.split("/") as [string, string];
  const webhooks = new DatabaseWebhookRunnable({
    port: config.webhookPort,
    certificates: config.webhookSelfSigned
      ? {
        kind: "selfSigned",
        client,
        endpoint: config.webhookUrlHost === undefined
          ? { mode: "service", namespace: serviceNamespace, name: serviceName }
          : { mode: "url", host: config.webhookUrlHost, port: config.webhookPort },
        caNamespace: leaseNamespace,
      }
      : { kind: "directory", dir: config.webhookCertDir },
    admission: storageClassLookup(
      () => storageClasses.store.list() as StorageClassObject[],
      () => storageClasses.hasSynced(),
    ),
    runsNamespace: (namespace) => config.namespace === undefined || namespace === config.namespace,
    metrics: createWebhookMetrics(manager.metrics.registry),
    log: getLogger("webhook"),
  });
  manager.readyz.add("webhook-certificate", () => {
    if (!webhooks.certificateLoaded()) throw new Error("no serving certificate loaded yet");
  });
  manager.add(webhooks, { group: "webhooks" });
  manager.add(storageClasses);

  const databases = createDatabaseController({
    client,
    metrics: manager.metrics,
    workers: config.maxConcurrentReconciles,
    ...(config.namespace === undefined ? {} : { namespace: config.namespace }),
    ...(config.imageRegistry === undefined ? {} : { registryPrefix: config.imageRegistry }),
    storageClassExists: (name) =>
      storageClasses.hasSynced() ? storageClasses.store.get(name) !== undefined : undefined,
    storageClassAllowsExpansion: (name) => {
      const found = storageClasses.hasSynced() ? storageClasses.store.get(name) : undefined;
      return found === undefined ? undefined : found.allowVolumeExpansion === true;
    },
  });
  // Caches run on every replica, so a new leader reconciles without relisting.
  for (const informer of databases.informers) manager.add(informer);
  manager.add(databases.events, { group: "others" });
  manager.add(databases.controller);

  const stop = new AbortController();
  const onSignal = (signal: Deno.Signal) => () => {
    // A terminal's Ctrl-C can arrive twice (from the terminal and forwarded by a wrapper).
    if (stop.signal.aborted) return;
    log.info("stopping", { signal });
    stop.abort();
  };
  const handlers = (["SIGTERM", "SIGINT"] as const).map((s) => [s, onSignal(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  let exit;
  try {
    exit = await manager.start(stop.signal);
  } finally {
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  }
  if (exit.reason === "stopped") {
    log.info("stopped");
    return 0;
  }
  log.error("exiting", {
    reason: exit.reason,
    ...(exit.reason === "error" ? { err: exit.error } : {}),
  });
  return 1;
}
