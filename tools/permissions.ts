/**
 * The Deno permission flags the `vigil` binary is compiled with — one list,
 * used by `deno task compile`, by `deno task start` and by the cluster tests
 * that run `main.ts` under exactly these flags (the proof that the binary's
 * permissions are enough, since `denort` cannot be fetched here to compile).
 *
 * Grants follow what a user may configure, as far as `--allow-net` can say
 * it (a host with or without one port: no port ranges, no address ranges):
 *
 * - Network: the in-cluster API server by its stable name on any port
 *   (`KUBERNETES_SERVICE_PORT` need not be 443; Vigil connects to
 *   `kubernetes.default.svc`, which every apiserver certificate names, see
 *   src/kube/kubeconfig.ts), and listening on any port of the wildcard and
 *   loopback addresses, so `--webhook-port`, `--metrics-bind-address` and
 *   `--health-probe-bind-address` may name any port there. The port-less
 *   wildcard grant already lets the process connect to any loopback port
 *   (a connect to `0.0.0.0:p` reaches `127.0.0.1:p`), so granting the
 *   loopback addresses as well widens nothing.
 * - Reads: the service-account mount and the default webhook certificate
 *   directory.
 * - Sys: the hostname (leader identity). Env: a named list.
 *
 * What no grant can follow — an API server or listener address known only
 * at run time, a certificate directory elsewhere — is added at compile time
 * with `VIGIL_ALLOW_NET` / `VIGIL_ALLOW_READ` (comma-separated); `vigil run`
 * checks its grants against its flags at start and exits 2 naming the flag
 * (src/cli/grants.ts) rather than failing later with `NotCapable`.
 *
 * @module
 */

/** The in-cluster API server, on any port. */
export const API_SERVER_HOST = "kubernetes.default.svc";

/** Addresses Vigil may listen on, each on any port. */
export const LISTEN_HOSTS: readonly string[] = [
  "0.0.0.0",
  "[::]",
  "127.0.0.1",
  "[::1]",
  "localhost",
];

/** Network grants of the binary: the API server and the listeners, on any port. */
export const BASE_NET: readonly string[] = [API_SERVER_HOST, ...LISTEN_HOSTS];

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

/**
 * V8 flags the binary runs with:
 * - a young generation of at most 2 MiB per semi-space (V8's default grows
 *   it to 16) keeps short-lived garbage from inflating the resident set
 *   (tests/bench/memory_bench.ts and the convergence bench; issue 9's and
 *   10's notes);
 * - the old generation may grow to 1.2× what the last full GC left live,
 *   instead of V8's dynamic factor of up to 4×: under a steady stream of
 *   changes the live heap stays about 50 MiB while V8 kept 2.5–3× that
 *   committed. The load bench at 300 Databases: RSS 122→131 MiB over the
 *   change phase against 150→215, the same latency, +1 ms of CPU per change
 *   (issue 12's note).
 */
export const V8_FLAGS: readonly string[] = ["--max-semi-space-size=2", "--heap-growing-percent=20"];

/**
 * Runtime flags besides permissions and V8's:
 * - `--no-code-cache`: the binary runs in a pod whose root filesystem is
 *   read-only (deploy/), so the V8 code cache `deno compile` would keep in
 *   the temporary directory can never be written there, and where it could
 *   be, it is read into memory at every start. Under `deno run` the cache
 *   is an SQLite file mapped into the process. Without it, idle `vigil run`
 *   is 3–5 MiB smaller (75–76 against 78–81 MiB, tests/bench/memory_bench.ts;
 *   issue 10's note) and reaches leadership as fast, within this machine's
 *   noise (0.5–0.8 s either way): Vigil's modules compile lazily, once.
 */
export const RUNTIME_FLAGS: readonly string[] = ["--no-code-cache"];

/**
 * The flags for `deno compile` / `deno run` of `main.ts`: its permissions,
 * {@link V8_FLAGS} and {@link RUNTIME_FLAGS}, so a test of `main.ts` runs it
 * as the binary runs.
 */
export function permissionFlags(extra: ExtraGrants = {}): string[] {
  const flags = [
    `--v8-flags=${V8_FLAGS.join(",")}`,
    ...RUNTIME_FLAGS,
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
