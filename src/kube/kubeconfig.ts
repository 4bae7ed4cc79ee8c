/**
 * Finds and loads the cluster credentials Vigil runs with, in kubectl's order:
 * `--kubeconfig`, then `KUBECONFIG` (colon-separated, merged), then
 * `~/.kube/config`, then the in-cluster service account.
 *
 * Unlike client-node's `loadFromDefault`, nothing silently falls back to
 * `http://localhost:8080`: when no source exists the caller gets a
 * {@link KubeConfigError} naming what was looked for. Files of `KUBECONFIG`
 * merge as kubectl merges them: the first to name an entry wins.
 *
 * @module
 */
import { KubeConfig } from "./kube_config.ts";

/** Where the in-cluster service account is mounted. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Which source the configuration came from. */
export type KubeConfigSource = "flag" | "env" | "home" | "in-cluster";

/** A loaded configuration and what it points at. */
export interface LoadedKubeConfig {
  readonly kubeConfig: KubeConfig;
  readonly source: KubeConfigSource;
  /** Files read (empty for in-cluster). */
  readonly paths: readonly string[];
  /** The API server URL of the selected context. */
  readonly server: string;
  /** The namespace of the selected context (or the pod's own namespace in-cluster). */
  readonly namespace: string | undefined;
}

/** Options for {@link loadKubeConfig}; the environment is injected for tests. */
export interface LoadKubeConfigOptions {
  /** Path given with `--kubeconfig`; wins over every other source. */
  readonly kubeconfigPath?: string;
  /** Context given with `--context`; defaults to the file's current-context. */
  readonly context?: string;
  /** Environment lookup; defaults to `Deno.env.get`. */
  readonly env?: (name: string) => string | undefined;
  /** Whether a file exists; defaults to a `Deno.statSync` probe. */
  readonly exists?: (path: string) => boolean;
  /** Directory of the service-account mount (tests point it elsewhere). */
  readonly serviceAccountDir?: string;
}

/** The kubeconfig could not be found, read or used. */
export class KubeConfigError extends Error {
  override name = "KubeConfigError";
}

/**
 * Loads the configuration from the first source that exists.
 *
 * @throws {KubeConfigError} when no source exists, a named file cannot be read
 * or parsed, the context does not exist, or the context has no cluster.
 */
export async function loadKubeConfig(
  options: LoadKubeConfigOptions = {},
): Promise<LoadedKubeConfig> {
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const exists = options.exists ?? fileExists;
  const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;

  let kc: KubeConfig;
  let source: KubeConfigSource;
  let paths: string[] = [];
  let namespace: string | undefined;
  if (options.kubeconfigPath !== undefined) {
    source = "flag";
    paths = [options.kubeconfigPath];
    kc = await loadFile(options.kubeconfigPath, "--kubeconfig");
  } else if ((env("KUBECONFIG") ?? "") !== "") {
    source = "env";
    paths = (env("KUBECONFIG") ?? "").split(":").filter((p) => p !== "");
    const [first, ...rest] = paths;
    kc = await loadFile(first!, "KUBECONFIG");
    for (const path of rest) {
      if (!exists(path)) continue; // kubectl skips missing entries of KUBECONFIG too
      kc = kc.merge(await loadFile(path, "KUBECONFIG"));
    }
  } else if (env("HOME") !== undefined && exists(`${env("HOME")}/.kube/config`)) {
    source = "home";
    paths = [`${env("HOME")}/.kube/config`];
    kc = await loadFile(paths[0]!, "~/.kube/config");
  } else if (env("KUBERNETES_SERVICE_HOST") !== undefined && exists(`${saDir}/token`)) {
    source = "in-cluster";
    // What client-go's InClusterConfig builds (CA file, a token file it
    // rereads as the kubelet rotates it), with two differences: the
    // directory is injectable, and the apiserver is reached by its stable
    // service name rather than the IP in KUBERNETES_SERVICE_HOST — every
    // apiserver certificate names it, and it lets the binary's --allow-net
    // name one host that is the same in every cluster.
    const port = env("KUBERNETES_SERVICE_PORT") ?? "443";
    kc = new KubeConfig({
      clusters: [{
        name: "in-cluster",
        server: `https://kubernetes.default.svc:${port}`,
        caFile: `${saDir}/ca.crt`,
        skipTLSVerify: false,
      }],
      users: [{
        name: "in-cluster",
        authProvider: { name: "tokenFile", config: { tokenFile: `${saDir}/token` } },
      }],
      contexts: [{ name: "in-cluster", cluster: "in-cluster", user: "in-cluster" }],
      currentContext: "in-cluster",
    });
    namespace = readOptional(`${saDir}/namespace`)?.trim();
  } else {
    throw new KubeConfigError(
      "Cannot find a kubeconfig: --kubeconfig is not set, KUBECONFIG is empty, " +
        "~/.kube/config does not exist and this is not a pod with a service account " +
        "(accepted: --kubeconfig=<path>, KUBECONFIG=<path>[:<path>…], ~/.kube/config, in-cluster)",
    );
  }

  if (options.context !== undefined) {
    if (kc.getContextObject(options.context) === undefined) {
      const known = kc.getContexts().map((c) => c.name).join(", ") || "none";
      throw new KubeConfigError(
        `Cannot use --context=${options.context}: no such context in ${paths.join(":")} ` +
          `(accepted: ${known})`,
      );
    }
    kc.setCurrentContext(options.context);
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === undefined || cluster.server === "") {
    throw new KubeConfigError(
      `Cannot use context "${kc.getCurrentContext()}": it names no cluster with a server ` +
        `(in ${paths.join(":") || "in-cluster config"})`,
    );
  }
  if (namespace === undefined) {
    namespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  }
  return { kubeConfig: kc, source, paths, server: cluster.server, namespace };
}

async function loadFile(path: string, from: string): Promise<KubeConfig> {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (cause) {
    throw new KubeConfigError(
      `Cannot read kubeconfig ${path} (from ${from}): ${(cause as Error).message}`,
      { cause },
    );
  }
  try {
    const slash = path.lastIndexOf("/");
    return await KubeConfig.parse(text, slash >= 0 ? path.slice(0, slash) || "/" : Deno.cwd());
  } catch (cause) {
    throw new KubeConfigError(
      `Cannot parse kubeconfig ${path} (from ${from}): ${(cause as Error).message}`,
      { cause },
    );
  }
}

function fileExists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function readOptional(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}
