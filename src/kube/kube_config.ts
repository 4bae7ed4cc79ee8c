/**
 * A parsed kubeconfig: clusters, users, contexts and the current context,
 * with kubectl's field meanings, merge rule and relative-path rule.
 *
 * Hand-written instead of client-node's `KubeConfig` because loading that
 * class loads all of client-node's generated API code (~85 MB resident) that
 * Vigil never calls. The field names of {@link Cluster} and {@link User} are
 * client-node's, so its authenticators (exec, OIDC) accept them as they are.
 *
 * @module
 */
import { z } from "zod";

/** A cluster entry: where the API server is and how to trust it. */
export interface Cluster {
  readonly name: string;
  /** The API server URL, without a trailing slash. */
  readonly server: string;
  /** A PEM file of CA certificates (absolute once loaded from a file). */
  readonly caFile?: string;
  /** Base64 of a PEM bundle of CA certificates. */
  readonly caData?: string;
  readonly skipTLSVerify: boolean;
  readonly tlsServerName?: string;
  readonly proxyUrl?: string;
}

/** An `exec` credential plugin (`client.authentication.k8s.io`). */
export interface ExecConfig {
  readonly command: string;
  readonly args?: readonly string[];
  readonly env?: readonly { readonly name: string; readonly value: string }[];
  readonly apiVersion?: string;
  readonly [key: string]: unknown;
}

/** A user entry: how to authenticate. */
export interface User {
  readonly name: string;
  readonly token?: string;
  /** A file holding a bearer token, reread as it rotates. */
  readonly tokenFile?: string;
  readonly certFile?: string;
  readonly certData?: string;
  readonly keyFile?: string;
  readonly keyData?: string;
  readonly username?: string;
  readonly password?: string;
  readonly impersonateUser?: string;
  readonly exec?: ExecConfig;
  readonly authProvider?: {
    readonly name: string;
    readonly config?: Readonly<Record<string, unknown>>;
  };
}

/** A context: a cluster, a user and a default namespace. */
export interface Context {
  readonly name: string;
  readonly cluster: string;
  readonly user: string;
  readonly namespace?: string;
}

/** What a {@link KubeConfig} holds. */
export interface KubeConfigInit {
  readonly clusters: readonly Cluster[];
  readonly users: readonly User[];
  readonly contexts: readonly Context[];
  readonly currentContext?: string | undefined;
}

const nullable = <T extends z.ZodType>(t: T) => t.nullish().transform((v) => v ?? undefined);
const list = <T extends z.ZodType>(t: T) => z.array(t).nullish().transform((v) => v ?? []);

const fileSchema = z.object({
  clusters: list(z.object({
    name: z.string().min(1),
    cluster: z.object({
      server: z.string().min(1),
      "certificate-authority": nullable(z.string()),
      "certificate-authority-data": nullable(z.string()),
      "insecure-skip-tls-verify": nullable(z.boolean()),
      "tls-server-name": nullable(z.string()),
      "proxy-url": nullable(z.string()),
    }),
  })),
  users: list(z.object({
    name: z.string().min(1),
    user: nullable(z.object({
      token: nullable(z.string()),
      "token-file": nullable(z.string()),
      "client-certificate": nullable(z.string()),
      "client-certificate-data": nullable(z.string()),
      "client-key": nullable(z.string()),
      "client-key-data": nullable(z.string()),
      username: nullable(z.string()),
      password: nullable(z.string()),
      as: nullable(z.string()),
      exec: nullable(z.looseObject({
        command: z.string().min(1),
        args: nullable(z.array(z.string())),
        env: nullable(z.array(z.object({ name: z.string(), value: z.string() }))),
        apiVersion: nullable(z.string()),
      })),
      "auth-provider": nullable(z.object({
        name: z.string().min(1),
        config: nullable(z.record(z.string(), z.unknown())),
      })),
    })),
  })),
  contexts: list(z.object({
    name: z.string().min(1),
    context: z.object({
      cluster: z.string().default(""),
      user: z.string().default(""),
      namespace: nullable(z.string()),
    }),
  })),
  "current-context": nullable(z.string()),
});

/** Copies `source` without its `undefined` values (for `exactOptionalPropertyTypes`). */
function defined<T extends object>(source: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(
    Object.entries(source).filter(([, v]) => v !== undefined),
  ) as { [K in keyof T]: Exclude<T[K], undefined> };
}

/**
 * The document a kubeconfig file holds. A JSON file is read as JSON, as
 * kubectl reads it (the last of duplicate keys wins); anything else as YAML,
 * with a parser loaded only then, so that in-cluster and JSON configurations
 * never load it (about 3 MiB resident; issue 10, item 22).
 */
async function parseDocument(text: string): Promise<unknown> {
  if (text.trimStart().startsWith("{")) {
    try {
      return JSON.parse(text);
    } catch {
      // YAML flow mappings start with "{" too: the YAML parser decides.
    }
  }
  const { parse } = await import("yaml");
  try {
    return parse(text);
  } catch (cause) {
    throw new SyntaxError(`not YAML: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Clusters, users and contexts, and which context is current.
 *
 * @example
 * ```ts
 * import { KubeConfig } from "./kube_config.ts";
 * const kc = await KubeConfig.parse(JSON.stringify({
 *   clusters: [{ name: "c", cluster: { server: "https://10.0.0.1:6443/" } }],
 *   users: [{ name: "u", user: { token: "t" } }],
 *   contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
 *   "current-context": "x",
 * }));
 * console.assert(kc.getCurrentCluster()?.server === "https://10.0.0.1:6443");
 * ```
 */
export class KubeConfig {
  readonly #clusters: readonly Cluster[];
  readonly #users: readonly User[];
  readonly #contexts: readonly Context[];
  #currentContext: string;

  constructor(init: KubeConfigInit) {
    this.#clusters = init.clusters;
    this.#users = init.users;
    this.#contexts = init.contexts;
    this.#currentContext = init.currentContext ?? "";
  }

  /**
   * Parses kubeconfig YAML (or JSON). Relative file paths (certificates,
   * keys, token files, an exec command with a slash) are resolved against
   * `baseDir`, as kubectl resolves them against the file's directory.
   *
   * @throws {SyntaxError} when the text is not YAML or not a kubeconfig
   * (the message names the first bad field).
   */
  static async parse(text: string, baseDir?: string): Promise<KubeConfig> {
    return KubeConfig.#fromDocument(await parseDocument(text), baseDir);
  }

  static #fromDocument(raw: unknown, baseDir: string | undefined): KubeConfig {
    const parsed = fileSchema.safeParse(raw ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new SyntaxError(`${issue.path.join(".") || "(top level)"}: ${issue.message}`);
    }
    const file = parsed.data;
    const abs = (path: string | undefined) =>
      path === undefined || baseDir === undefined || path.startsWith("/")
        ? path
        : `${baseDir.replace(/\/$/, "")}/${path}`;
    return new KubeConfig({
      clusters: file.clusters.map(({ name, cluster: c }) =>
        defined({
          name,
          server: c.server.replace(/\/$/, ""),
          caFile: abs(c["certificate-authority"]),
          caData: c["certificate-authority-data"],
          skipTLSVerify: c["insecure-skip-tls-verify"] === true,
          tlsServerName: c["tls-server-name"],
          proxyUrl: c["proxy-url"],
        }) as Cluster
      ),
      users: file.users.map(({ name, user: u = {} }) => {
        const exec = u.exec === undefined ? undefined : defined({
          ...u.exec,
          command: u.exec.command.includes("/") ? abs(u.exec.command)! : u.exec.command,
          args: u.exec.args,
          env: u.exec.env,
          apiVersion: u.exec.apiVersion,
        });
        return defined({
          name,
          token: u.token,
          tokenFile: abs(u["token-file"]),
          certFile: abs(u["client-certificate"]),
          certData: u["client-certificate-data"],
          keyFile: abs(u["client-key"]),
          keyData: u["client-key-data"],
          username: u.username,
          password: u.password,
          impersonateUser: u.as,
          exec,
          authProvider: u["auth-provider"] === undefined
            ? undefined
            : defined({ name: u["auth-provider"].name, config: u["auth-provider"].config }),
        }) as User;
      }),
      contexts: file.contexts.map(({ name, context: c }) =>
        defined({ name, cluster: c.cluster, user: c.user, namespace: c.namespace }) as Context
      ),
      currentContext: file["current-context"],
    });
  }

  /**
   * Merges `later` into this configuration as kubectl merges the files of
   * `KUBECONFIG`: the first to name a cluster, user or context wins, and so
   * does the first current-context that is set.
   */
  merge(later: KubeConfig): KubeConfig {
    const union = <T extends { name: string }>(a: readonly T[], b: readonly T[]) => [
      ...a,
      ...b.filter((x) => !a.some((y) => y.name === x.name)),
    ];
    return new KubeConfig({
      clusters: union(this.#clusters, later.#clusters),
      users: union(this.#users, later.#users),
      contexts: union(this.#contexts, later.#contexts),
      currentContext: this.#currentContext || later.#currentContext,
    });
  }

  /** The current context's name (`""` when none is set). */
  getCurrentContext(): string {
    return this.#currentContext;
  }

  /** Makes `name` the current context; the caller checks it exists. */
  setCurrentContext(name: string): void {
    this.#currentContext = name;
  }

  getContexts(): readonly Context[] {
    return this.#contexts;
  }

  getContextObject(name: string): Context | undefined {
    return this.#contexts.find((c) => c.name === name);
  }

  /** The current context's cluster, if both exist. */
  getCurrentCluster(): Cluster | undefined {
    const name = this.getContextObject(this.#currentContext)?.cluster;
    return this.#clusters.find((c) => c.name === name);
  }

  /** The current context's user, if both exist. */
  getCurrentUser(): User | undefined {
    const name = this.getContextObject(this.#currentContext)?.user;
    return this.#users.find((u) => u.name === name);
  }
}
