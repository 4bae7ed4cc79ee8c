/**
 * Helpers for the reconciler's cluster tests: run Vigil scoped to one
 * namespace with a directory certificate (no webhook registration, so no
 * later test meets a webhook whose server is gone), read its write counters,
 * and wait on Databases.
 */
import { generateSelfSigned, writeCertDirectory } from "../../../src/webhook/mod.ts";
import { eventually, type SharedPlane } from "../../support/shared_plane.ts";
import { startVigil, type VigilProcess } from "../../support/vigil_process.ts";

/** A Vigil process reconciling one namespace, and how to stop it. */
export interface ScopedVigil {
  readonly vigil: VigilProcess;
  /** Sum of `rest_client_requests_total` for write verbs, by verb. */
  writes(): Promise<Record<string, number>>;
  stop(): Promise<number>;
  kill(): Promise<void>;
  log(): string;
}

/** Starts `vigil run` for `namespace` under the binary's flags and waits for /readyz. */
export async function startScopedVigil(
  plane: SharedPlane,
  namespace: string,
  options: { kubeconfig?: string; extraArgs?: readonly string[] } = {},
): Promise<ScopedVigil> {
  const certDir = await Deno.makeTempDir({ prefix: "vigil-certs-" });
  await writeCertDirectory(certDir, await generateSelfSigned({ ipAddresses: ["127.0.0.1"] }));
  const vigil = startVigil({
    server: plane.server,
    kubeconfig: options.kubeconfig ?? plane.kubeconfigPath,
    read: [certDir],
    args: [
      `--webhook-cert-dir=${certDir}`,
      `--namespace=${namespace}`,
      `--leader-election-namespace=${namespace}`,
      `--leader-election-id=vigil-${namespace}`,
      ...(options.extraArgs ?? []),
    ],
  });
  const cleanup = () => Deno.remove(certDir, { recursive: true }).catch(() => {});
  try {
    await eventually("/readyz to pass", async () => {
      const res = await fetch(`http://127.0.0.1:${vigil.healthPort}/readyz`);
      await res.body?.cancel();
      return res.ok ? true : undefined;
    }, { timeoutMs: 60_000 });
  } catch (err) {
    await vigil.kill();
    await cleanup();
    throw new Error(`${(err as Error).message}\n${vigil.lines.join("\n")}`);
  }
  return {
    vigil,
    writes: () => writeCounts(vigil.metricsPort!),
    async stop() {
      const code = await vigil.stop();
      await cleanup();
      return code;
    },
    async kill() {
      await vigil.kill();
      await cleanup();
    },
    log: () => vigil.lines.join("\n"),
  };
}

/** Write requests Vigil made so far, by verb, from its own `rest_client_requests_total`. */
export async function writeCounts(metricsPort: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = line.match(/^rest_client_requests_total\{([^}]*)\} ([0-9.e+]+)$/);
    if (m === null) continue;
    const method = m[1]!.match(/method="([A-Z]+)"/)?.[1] ?? "";
    if (!["POST", "PUT", "PATCH", "DELETE"].includes(method)) continue;
    counts[method] = (counts[method] ?? 0) + Number(m[2]);
  }
  return counts;
}

/** Sum of every series of one metric on Vigil's /metrics. */
export async function metricSum(metricsPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}

/** Total of a {@link writeCounts} result. */
export function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Reads one object as JSON, or undefined when it does not exist. */
export async function getJson<T = Record<string, unknown>>(
  plane: SharedPlane,
  namespace: string,
  kindName: string,
): Promise<T | undefined> {
  const r = await plane.kubectl(["-n", namespace, "get", kindName, "-o", "json"]);
  if (r.code !== 0) {
    if (/NotFound|not found/.test(r.stderr)) return undefined;
    throw new Error(`Cannot get ${kindName}: ${r.stderr}`);
  }
  return JSON.parse(r.stdout) as T;
}

/** Applies a Database manifest. */
export async function applyDatabase(
  plane: SharedPlane,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  metadata: Record<string, unknown> = {},
): Promise<void> {
  await plane.kubectlOk(["-n", namespace, "apply", "-f", "-"], {
    stdin: JSON.stringify({
      apiVersion: "vigil.dev/v1",
      kind: "Database",
      metadata: { name, ...metadata },
      spec,
    }),
  });
}

/** Waits with `kubectl wait --for=condition=Ready`, as a user would. */
export async function waitReady(
  plane: SharedPlane,
  namespace: string,
  name: string,
  timeout = "120s",
): Promise<void> {
  await plane.kubectlOk([
    "-n",
    namespace,
    "wait",
    "--for=condition=Ready",
    `db/${name}`,
    `--timeout=${timeout}`,
  ]);
}

/** Deletes every Database of the namespace and waits until they are gone (Vigil must be running). */
export async function deleteDatabases(plane: SharedPlane, namespace: string): Promise<void> {
  await plane.kubectl(["-n", namespace, "delete", "db", "--all", "--wait=true", "--timeout=120s"]);
}
