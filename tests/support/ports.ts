/** Free TCP ports on loopback, for components that cannot bind port 0 themselves. */

/**
 * Returns `count` distinct ports that were free on 127.0.0.1 a moment ago.
 * All listeners are held open until every port is chosen, so the ports are
 * distinct; another process may still take one before it is used.
 */
export function freePorts(count: number): number[] {
  const listeners = Array.from(
    { length: count },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((l) => (l.addr as Deno.NetAddr).port);
  for (const l of listeners) l.close();
  return ports;
}
