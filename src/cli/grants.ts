/**
 * Checks, before anything starts, that the process's Deno permissions cover
 * what its flags ask for: every listener, the webhook certificate
 * directory and the API server. The compiled binary's grants are fixed at
 * build time (tools/permissions.ts); an address or path they cannot cover
 * is refused here with a {@link ConfigError} naming the flag and how to
 * grant it, instead of a `NotCapable` from deep inside a start-up (or a
 * `/readyz` that fails forever). Under `deno run -A` everything passes.
 *
 * @module
 */
import { ConfigError, type OperatorConfig } from "../config.ts";

/** Answers whether a permission is granted; injected in tests. */
export interface GrantQuery {
  net(host: string): boolean;
  read(path: string): boolean;
}

/** The running process's own grants. */
export const processGrants: GrantQuery = {
  net: (host) => Deno.permissions.querySync({ name: "net", host }).state === "granted",
  read: (path) => Deno.permissions.querySync({ name: "read", path }).state === "granted",
};

/** `host:port` as `--allow-net` spells it (IPv6 in brackets). */
export function netHost(hostname: string, port: number): string {
  return `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

/**
 * Refuses a listener address or certificate directory the process may not use.
 *
 * @throws {ConfigError} naming the first such flag, its value and how to grant it.
 */
export function checkListenerGrants(
  config: OperatorConfig,
  grants: GrantQuery = processGrants,
): void {
  const listeners = [
    ["--metrics-bind-address", config.metricsBindAddress],
    ["--health-probe-bind-address", config.healthProbeBindAddress],
    ["--webhook-port", { hostname: "::", port: config.webhookPort }],
  ] as const;
  for (const [flag, address] of listeners) {
    if (address === undefined) continue;
    const host = netHost(address.hostname, address.port);
    if (grants.net(host)) continue;
    throw new ConfigError(
      `invalid value "${
        flag === "--webhook-port" ? address.port : host
      }" for ${flag} (this binary may not listen on ${host}; accepted: :port, or a binary built ` +
        `with VIGIL_ALLOW_NET=${host})`,
    );
  }
  if (!config.webhookSelfSigned && !grants.read(config.webhookCertDir)) {
    throw new ConfigError(
      `invalid value "${config.webhookCertDir}" for --webhook-cert-dir (this binary may not ` +
        "read it; accepted: the default /tmp/k8s-webhook-server/serving-certs, or a binary built " +
        `with VIGIL_ALLOW_READ=${config.webhookCertDir})`,
    );
  }
}

/**
 * Refuses an API server the process may not connect to.
 *
 * @throws {ConfigError} naming the server and how to grant it.
 */
export function checkApiServerGrant(
  server: string,
  from: string,
  grants: GrantQuery = processGrants,
): void {
  const url = new URL(server);
  const port = url.port === "" ? (url.protocol === "http:" ? 80 : 443) : Number(url.port);
  const host = netHost(url.hostname.replace(/^\[(.*)\]$/, "$1"), port);
  if (grants.net(host)) return;
  throw new ConfigError(
    `cannot use the API server ${server} (from ${from}): this binary may not connect to ${host}; ` +
      `build it with VIGIL_ALLOW_NET=${host}`,
  );
}
