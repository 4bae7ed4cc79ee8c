/**
 * The address "every interface" means on this host: `::` (IPv6 and IPv4
 * through v4-mapped addresses, as Go listens for `:9443`) where the kernel
 * has IPv6, else `0.0.0.0`.
 *
 * @module
 */

/**
 * Returns `hostname`, except that `::` becomes `0.0.0.0` when this host
 * cannot listen on IPv6 at all (a kernel booted with `ipv6.disable=1`).
 *
 * Guarantees: a taken port or a missing permission is never mistaken for a
 * missing IPv6 (the probe binds port 0, and a refused permission throws).
 *
 * @throws {Deno.errors.NotCapable} when listening on `[::]` is not granted.
 *
 * @example
 * ```ts
 * import { listenHost } from "./listen_host.ts";
 * console.assert(listenHost("127.0.0.1") === "127.0.0.1");
 * console.assert(listenHost("::", () => false) === "0.0.0.0");
 * ```
 */
export function listenHost(hostname: string, canListenIPv6: () => boolean = probeIPv6): string {
  if (hostname !== "::") return hostname;
  return canListenIPv6() ? "::" : "0.0.0.0";
}

function probeIPv6(): boolean {
  try {
    Deno.listen({ hostname: "::", port: 0 }).close();
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw err;
    }
    return false;
  }
}
