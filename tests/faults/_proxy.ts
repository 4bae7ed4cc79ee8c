/**
 * Vigil's way to the apiserver through a loopback TCP proxy the test can
 * cut: a copy of the plane's kubeconfig whose server is the proxy. Users
 * (kubectl, the test) keep talking to the apiserver directly.
 *
 * @module
 */
import type { SharedPlane } from "../support/shared_plane.ts";
import { freePorts } from "../support/ports.ts";
import { TcpProxy } from "../cluster/cli/_tcp_proxy.ts";

/** A proxy in front of the plane's apiserver and a kubeconfig that goes through it. */
export interface ProxiedApiServer {
  readonly proxy: TcpProxy;
  readonly kubeconfig: string;
  /** Closes the proxy and removes the kubeconfig. */
  close(): Promise<void>;
}

/** Opens a proxy to `plane`'s apiserver and writes a kubeconfig through it. */
export async function proxiedApiServer(plane: SharedPlane): Promise<ProxiedApiServer> {
  const target = new URL(plane.server);
  const [port] = freePorts(1) as [number];
  const proxy = new TcpProxy(port, { hostname: target.hostname, port: Number(target.port) });
  proxy.open();
  const dir = await Deno.makeTempDir({ prefix: "vigil-fault-proxy-" });
  const kubeconfig = `${dir}/kubeconfig`;
  const text = await Deno.readTextFile(plane.kubeconfigPath);
  if (!text.includes(plane.server)) {
    throw new Error(`Cannot find the server ${plane.server} in ${plane.kubeconfigPath}`);
  }
  await Deno.writeTextFile(kubeconfig, text.replaceAll(plane.server, `https://127.0.0.1:${port}`));
  let open = true;
  return {
    proxy,
    kubeconfig,
    async close() {
      if (open) await proxy.close();
      open = false;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
