/**
 * Turns the current context of a {@link KubeConfig} into what one request
 * needs: the CA to trust, the client certificate, and the auth headers.
 *
 * Guarantees: files (CA, client certificate and key, token files, the
 * in-cluster service-account token) are reread at most once per
 * `refreshMs`, so a rotated file is picked up within that time, as
 * client-go's cached token source does. Static tokens, basic auth and
 * impersonation are handled here; `exec` plugins, OIDC and the legacy
 * `azure`/`gcp` auth providers by client-node's authenticators, loaded only
 * when a kubeconfig names them (they pull in code Vigil otherwise never loads).
 *
 * Errors: {@link CredentialSource.get} rejects when a named file cannot be
 * read, an auth provider is unknown, or a plugin fails.
 *
 * @module
 */
import type { Cluster, KubeConfig, User } from "./kube_config.ts";

/** TLS material and headers for one request. PEM strings. */
export interface Credentials {
  /** CAs to trust besides the system roots; absent: the system roots only. */
  readonly caPem?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  /** Lower-case header names (`authorization`, `impersonate-user`). */
  readonly headers: Readonly<Record<string, string>>;
}

/** Options of {@link CredentialSource}. */
export interface CredentialSourceOptions {
  /** Clock for the file cache; default `Date.now`. */
  readonly now?: () => number;
  /** How long a file read stays fresh; default 60 000 ms. */
  readonly refreshMs?: number;
}

/** The part of client-node's authenticators this module calls. */
interface Authenticator {
  applyAuthentication(
    user: User,
    opts: { headers?: Record<string, unknown>; cert?: unknown; key?: unknown },
  ): Promise<void>;
}

/**
 * client-node's authenticators by auth-provider name, imported on first use
 * (static specifiers, so `deno compile` embeds them). Their parameter types
 * are node's `https.RequestOptions` and client-node's `User`; the fields they
 * touch are the ones {@link Authenticator} names.
 */
const PLUGINS: Readonly<Record<string, () => Promise<Authenticator>>> = {
  exec: async () =>
    plugin(new (await import("@kubernetes/client-node/dist/exec_auth.js")).ExecAuth()),
  oidc: async () =>
    plugin(new (await import("@kubernetes/client-node/dist/oidc_auth.js")).OpenIDConnectAuth()),
  azure: async () =>
    plugin(new (await import("@kubernetes/client-node/dist/azure_auth.js")).AzureAuth()),
  gcp: async () =>
    plugin(
      new (await import("@kubernetes/client-node/dist/gcp_auth.js")).GoogleCloudPlatformAuth(),
    ),
};

function plugin(authenticator: object): Authenticator {
  return authenticator as Authenticator;
}

const DEFAULT_REFRESH_MS = 60_000;

/** Credentials of the current context of one {@link KubeConfig}. */
export class CredentialSource {
  readonly #cluster: Cluster | undefined;
  readonly #user: User | undefined;
  readonly #now: () => number;
  readonly #refreshMs: number;
  readonly #files = new Map<string, { text: string; readAt: number }>();
  /** Embedded data (`*-data` fields), decoded once. */
  readonly #data: { ca: string | undefined; cert: string | undefined; key: string | undefined };
  #plugin: Promise<Authenticator> | undefined;

  constructor(kubeConfig: KubeConfig, options: CredentialSourceOptions = {}) {
    this.#cluster = kubeConfig.getCurrentCluster();
    this.#user = kubeConfig.getCurrentUser();
    this.#now = options.now ?? Date.now;
    this.#refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
    const decode = (data: string | undefined) =>
      data === undefined ? undefined : decodeBase64(data);
    this.#data = {
      ca: decode(this.#cluster?.caData),
      cert: decode(this.#user?.certData),
      key: decode(this.#user?.keyData),
    };
  }

  /**
   * The credentials for the next request.
   *
   * @throws {Error} when a file the kubeconfig names cannot be read, its auth
   * provider is unknown, or its credential plugin fails.
   */
  async get(): Promise<Credentials> {
    const cluster = this.#cluster;
    const user = this.#user;
    const headers: Record<string, string> = {};
    let caPem: string | undefined;
    if (cluster?.caFile !== undefined) caPem = await this.#read(cluster.caFile);
    else caPem = this.#data.ca;
    if (user === undefined) return { headers, ...(caPem === undefined ? {} : { caPem }) };

    let certPem = user.certFile !== undefined ? await this.#read(user.certFile) : this.#data.cert;
    let keyPem = user.keyFile !== undefined ? await this.#read(user.keyFile) : this.#data.key;
    if (user.username !== undefined) {
      headers.authorization = `Basic ${btoa(`${user.username}:${user.password ?? ""}`)}`;
    }
    if (user.impersonateUser !== undefined) headers["impersonate-user"] = user.impersonateUser;

    const tokenFile = user.tokenFile ?? tokenFileOf(user);
    if (tokenFile !== undefined) {
      headers.authorization = `Bearer ${(await this.#read(tokenFile)).trim()}`;
    } else if (pluginName(user) !== undefined) {
      const opts: { headers: Record<string, unknown>; cert?: unknown; key?: unknown } = {
        headers: {},
      };
      await (await this.#loadPlugin(user)).applyAuthentication(user, opts);
      for (const [name, value] of Object.entries(opts.headers)) {
        headers[name.toLowerCase()] = String(value);
      }
      if (typeof opts.cert === "string") certPem = opts.cert;
      if (typeof opts.key === "string") keyPem = opts.key;
    }
    // A static token wins over a plugin's, as in client-node.
    if (user.token !== undefined) headers.authorization = `Bearer ${user.token}`;
    return {
      headers,
      ...(caPem === undefined ? {} : { caPem }),
      ...(certPem === undefined ? {} : { certPem }),
      ...(keyPem === undefined ? {} : { keyPem }),
    };
  }

  #loadPlugin(user: User): Promise<Authenticator> {
    if (this.#plugin === undefined) {
      const name = pluginName(user)!;
      const load = PLUGINS[name];
      this.#plugin = load !== undefined ? load() : Promise.reject(
        new Error(
          `Cannot authenticate as user "${user.name}": unknown auth-provider "${name}" ` +
            `(accepted: ${Object.keys(PLUGINS).join(", ")}, or a config.tokenFile)`,
        ),
      );
      // A failed import may succeed on a later try (never for an unknown name).
      this.#plugin.catch(() => {
        if (load !== undefined) this.#plugin = undefined;
      });
    }
    return this.#plugin;
  }

  async #read(path: string): Promise<string> {
    const now = this.#now();
    const cached = this.#files.get(path);
    if (cached !== undefined && now - cached.readAt < this.#refreshMs) return cached.text;
    const text = await Deno.readTextFile(path);
    // Keep the previous string when nothing changed, so callers can compare by identity.
    const kept = cached !== undefined && cached.text === text ? cached.text : text;
    this.#files.set(path, { text: kept, readAt: now });
    return kept;
  }
}

/** The in-cluster form: an auth provider whose config names a token file. */
function tokenFileOf(user: User): string | undefined {
  const file = user.authProvider?.config?.tokenFile;
  return typeof file === "string" ? file : undefined;
}

function pluginName(user: User): string | undefined {
  if (user.exec !== undefined || user.authProvider?.config?.exec !== undefined) return "exec";
  return user.authProvider?.name;
}

function decodeBase64(data: string): string {
  const bytes = Uint8Array.from(atob(data.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
