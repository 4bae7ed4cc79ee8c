/**
 * A fake API server for the kube client's unit tests: HTTPS on loopback
 * with a self-signed certificate, answering with a handler, and a
 * {@link KubeConfig} that trusts it.
 *
 * @module
 */
import { KubeConfig, type User } from "../../../src/kube/mod.ts";
import { generateSelfSigned, type SelfSignedBundle } from "../../../src/webhook/mod.ts";

let bundle: Promise<SelfSignedBundle> | undefined;

/** One serving certificate for every loopback server of a test run. */
export function loopbackBundle(): Promise<SelfSignedBundle> {
  return bundle ??= generateSelfSigned({ ipAddresses: ["127.0.0.1"] });
}

/** A running fake API server. */
export interface LoopbackApiServer extends AsyncDisposable {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  readonly caPem: string;
  /** A one-context kubeconfig for this server, as `user` (default: token `t`). */
  kubeConfig(user?: Omit<User, "name">): KubeConfig;
  close(): Promise<void>;
}

/** Starts a fake API server answering with `handler`. */
export async function loopbackApiServer(
  handler: (
    req: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ) => Response | Promise<Response>,
): Promise<LoopbackApiServer> {
  const tls = await loopbackBundle();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: tls.certPem,
    key: tls.keyPem,
    onListen: () => {},
  }, handler);
  const url = `https://127.0.0.1:${server.addr.port}`;
  return {
    url,
    caPem: tls.caCertPem,
    kubeConfig: (user = { token: "t" }) => kubeConfigFor(url, tls.caCertPem, user),
    close: () => server.shutdown(),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** A one-context kubeconfig for `server`, trusting `caPem` (when given). */
export function kubeConfigFor(
  server: string,
  caPem?: string,
  user: Omit<User, "name"> = { token: "t" },
): KubeConfig {
  return new KubeConfig({
    clusters: [{
      name: "c",
      server,
      skipTLSVerify: false,
      ...(caPem === undefined ? {} : { caData: btoa(caPem) }),
    }],
    users: [{ name: "u", ...user }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
}

/** Rejects when `promise` is still pending after `ms` (a failing test must not hang the run). */
export async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}
