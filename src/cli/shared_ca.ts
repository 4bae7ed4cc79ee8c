/**
 * The CA that every self-signed replica shares, so that the `caBundle` they
 * each write into the webhook configurations and the CRD is one value and
 * trusts whichever replica the Service picks. It lives in a Secret
 * ({@link SELF_SIGNED_CA_SECRET}: `ca.crt`, `ca.key`) in Vigil's own
 * namespace: the first replica creates it (a create, which the apiserver
 * refuses with AlreadyExists to every replica but one), the others — and
 * every later start — read it. Each replica signs its own serving
 * certificate with it.
 *
 * Development only, like self-signed mode: the CA key sits in a Secret;
 * the RBAC is the unbound `vigil-self-signed` ClusterRole.
 *
 * @module
 */
import { z } from "zod";
import { AlreadyExistsError, NotFoundError } from "../kube/mod.ts";
import {
  type CertificateAuthority,
  generateCa,
  SELF_SIGNED_CA_SECRET,
} from "../webhook/self_signed.ts";
import type { Logger } from "../observability/log.ts";

/** What {@link sharedSelfSignedCa} needs of a client. */
export interface SecretClient {
  request<T>(
    method: string,
    path: string,
    options?: { readonly body?: unknown; readonly timeoutMs?: number },
  ): Promise<T>;
}

/** Options of {@link sharedSelfSignedCa}. */
export interface SharedCaOptions {
  readonly namespace: string;
  /** Default {@link SELF_SIGNED_CA_SECRET}. */
  readonly name?: string;
  /** Default {@link generateCa}. */
  readonly generate?: () => Promise<CertificateAuthority>;
  readonly log: Logger;
}

const base64 = z.string().min(1).transform((s, ctx) => {
  try {
    return atob(s);
  } catch {
    ctx.addIssue({ code: "custom", message: "not base64" });
    return z.NEVER;
  }
});
const CaSecret = z.object({
  data: z.object({ "ca.crt": base64, "ca.key": base64 }),
});

/**
 * Returns the shared CA, creating its Secret if no replica has yet.
 *
 * @throws {Error} when the Secret exists but holds no `ca.crt` and `ca.key`
 * (the message says to delete it), or on API errors (e.g. ForbiddenError
 * without the `vigil-self-signed` role).
 */
export async function sharedSelfSignedCa(
  client: SecretClient,
  options: SharedCaOptions,
): Promise<CertificateAuthority> {
  const name = options.name ?? SELF_SIGNED_CA_SECRET;
  const path = `/api/v1/namespaces/${options.namespace}/secrets`;
  const read = async (): Promise<CertificateAuthority | undefined> => {
    let secret: unknown;
    try {
      secret = await client.request<unknown>("GET", `${path}/${name}`);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    const parsed = CaSecret.safeParse(secret);
    if (!parsed.success) {
      throw new Error(
        `Cannot use Secret ${options.namespace}/${name} as the self-signed CA: it has no ` +
          "base64 ca.crt and ca.key; delete it and Vigil makes a new one",
      );
    }
    return { caCertPem: parsed.data.data["ca.crt"], caKeyPem: parsed.data.data["ca.key"] };
  };
  const existing = await read();
  if (existing !== undefined) {
    options.log.info("using the shared self-signed CA", { secret: `${options.namespace}/${name}` });
    return existing;
  }
  const ca = await (options.generate ?? generateCa)();
  try {
    await client.request("POST", path, {
      body: {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name,
          labels: {
            "app.kubernetes.io/name": "vigil",
            "app.kubernetes.io/component": "webhook-self-signed-ca",
          },
        },
        type: "Opaque",
        data: { "ca.crt": btoa(ca.caCertPem), "ca.key": btoa(ca.caKeyPem) },
      },
    });
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err;
    // Another replica created it between our read and our create: use theirs.
    const theirs = await read();
    if (theirs === undefined) throw err;
    options.log.info("using the shared self-signed CA", { secret: `${options.namespace}/${name}` });
    return theirs;
  }
  options.log.info("created the shared self-signed CA", { secret: `${options.namespace}/${name}` });
  return ca;
}
