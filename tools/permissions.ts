/**
 * The Deno permission flags the `vigil` binary is compiled with — one list,
 * used by `deno task compile`, by `deno task start` and by the cluster test
 * that runs `main.ts` under exactly these flags (the proof that the binary's
 * permissions are enough, since `denort` cannot be fetched here to compile).
 *
 * Network: the in-cluster API server by its stable name (Vigil connects to
 * `kubernetes.default.svc`, which every apiserver certificate names) and
 * Vigil's own listeners. Reads: the service-account mount, the webhook
 * certificate directory. Sys: the hostname (leader identity). Env: a named
 * list. Locally, `start` adds the kubeconfig's API server and file; an
 * air-gapped or local build adds its own with `VIGIL_ALLOW_NET` /
 * `VIGIL_ALLOW_READ` (comma-separated) at compile time.
 *
 * @module
 */

/** API server and listeners the binary may use in-cluster. */
export const BASE_NET: readonly string[] = [
  "kubernetes.default.svc:443",
  "0.0.0.0:8080",
  "0.0.0.0:8081",
  "0.0.0.0:9443",
];

/** Paths the binary may read in-cluster. */
export const BASE_READ: readonly string[] = [
  "/var/run/secrets/kubernetes.io/serviceaccount",
  "/tmp/k8s-webhook-server/serving-certs",
];

/** Environment variables the binary may read. */
export const BASE_ENV: readonly string[] = [
  "KUBECONFIG",
  "HOME",
  "KUBERNETES_SERVICE_HOST",
  "KUBERNETES_SERVICE_PORT",
  "POD_NAME",
  "POD_NAMESPACE",
  "NO_COLOR",
  "VIGIL_*",
  // Proxies, honoured by client-node for clusters reached through one.
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
  "https_proxy",
  "http_proxy",
  "no_proxy",
  // Read by undici (client-node's HTTP stack) when it loads.
  "UNDICI_NO_WASM_SIMD",
  "UNDICI_USE_MILO",
];

/** Extra grants on top of the base lists. */
export interface ExtraGrants {
  readonly net?: readonly string[];
  readonly read?: readonly string[];
  readonly write?: readonly string[];
}

/** The permission flags for `deno compile` / `deno run` of `main.ts`. */
export function permissionFlags(extra: ExtraGrants = {}): string[] {
  const flags = [
    `--allow-net=${[...BASE_NET, ...(extra.net ?? [])].join(",")}`,
    `--allow-read=${[...BASE_READ, ...(extra.read ?? [])].join(",")}`,
    `--allow-env=${BASE_ENV.join(",")}`,
    "--allow-sys=hostname",
    "--no-prompt",
  ];
  if (extra.write && extra.write.length > 0) flags.push(`--allow-write=${extra.write.join(",")}`);
  return flags;
}

/** Extra grants named at compile time through `VIGIL_ALLOW_NET` / `VIGIL_ALLOW_READ`. */
export function extraFromEnv(env: (name: string) => string | undefined): ExtraGrants {
  const list = (name: string) => (env(name) ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return { net: list("VIGIL_ALLOW_NET"), read: list("VIGIL_ALLOW_READ") };
}
