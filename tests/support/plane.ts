/**
 * A real Kubernetes control plane on loopback for tests and `task start`:
 * etcd, kube-apiserver (RBAC on, default admission plugins), and for the full
 * plane kube-controller-manager, kube-scheduler, kwok (simulated nodes and
 * kubelets) and a volume provisioner/resizer, all built from the upstream Go
 * modules by `tests/controlplane`.
 *
 * Guarantees: `stop()` ends every process it started and removes its
 * directory; each component also exits by itself when this process dies
 * (it watches its parent), so even a SIGKILLed test run leaves nothing
 * running.
 *
 * @module
 */
import { ensurePlaneBinary } from "./plane_build.ts";
import { freePorts } from "./ports.ts";
import { bootstrap } from "./plane_bootstrap.ts";
import { type CommandResult, runKubectl, runKubectlOk } from "./kubectl.ts";

export type { CommandResult };

/** Options of {@link startPlane}. */
export interface PlaneOptions {
  /** `full` (default) adds controller-manager, scheduler, kwok and the provisioner. */
  readonly mode?: "full" | "apiserver";
  /** Extra kube-apiserver flags, e.g. `--watch-cache=false`. */
  readonly apiserverArgs?: readonly string[];
  /** Number of kwok nodes in a full plane; default 3. */
  readonly nodes?: number;
  /** Directory to run in; default a new temporary directory (removed on stop). */
  readonly dir?: string;
  /** Progress lines; default none. */
  readonly log?: (line: string) => void;
  /** How long to wait for readiness; default 120 000 ms. */
  readonly readyTimeoutMs?: number;
}

interface Component {
  readonly name: string;
  readonly args: readonly string[];
  child?: Deno.ChildProcess | undefined;
}

const COMPONENT_STOP_TIMEOUT_MS = 10_000;

const HAS_SETSID = (() => {
  try {
    return Deno.statSync("/usr/bin/setsid").isFile;
  } catch {
    return false;
  }
})();

/** A running control plane. Create with {@link startPlane}. */
export class Plane {
  /** The plane's working directory (certificates, data, logs, kubeconfig). */
  readonly dir: string;
  /** An admin kubeconfig (group `system:masters`). */
  readonly kubeconfigPath: string;
  /** `https://127.0.0.1:<port>`. */
  readonly server: string;
  /** etcd's client URL. */
  readonly etcdUrl: string;
  readonly #binary: string;
  readonly #components = new Map<string, Component>();
  readonly #ownsDir: boolean;
  readonly #log: (line: string) => void;
  readonly #readyTimeoutMs: number;
  #http: Deno.HttpClient | undefined;
  #stopped = false;

  /** @internal use {@link startPlane} */
  constructor(init: {
    binary: string;
    dir: string;
    ownsDir: boolean;
    server: string;
    etcdUrl: string;
    log: (line: string) => void;
    readyTimeoutMs: number;
  }) {
    this.#binary = init.binary;
    this.dir = init.dir;
    this.#ownsDir = init.ownsDir;
    this.kubeconfigPath = `${init.dir}/admin.kubeconfig`;
    this.server = init.server;
    this.etcdUrl = init.etcdUrl;
    this.#log = init.log;
    this.#readyTimeoutMs = init.readyTimeoutMs;
  }

  /** The `vigil-plane` binary (also runs `kubectl`). */
  get binary(): string {
    return this.#binary;
  }

  /** PIDs of the components currently running, by name. */
  pids(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.#components.values()) if (c.child) out[c.name] = c.child.pid;
    return out;
  }

  /** Runs `kubectl` against this plane as admin. */
  kubectl(args: readonly string[], options: { stdin?: string } = {}): Promise<CommandResult> {
    return runKubectl(this.#binary, this.kubeconfigPath, args, options);
  }

  /** Like {@link kubectl} but throws with kubectl's stderr on a non-zero exit. */
  kubectlOk(args: readonly string[], options: { stdin?: string } = {}): Promise<string> {
    return runKubectlOk(this.#binary, this.kubeconfigPath, args, options);
  }

  /** Stops kube-apiserver and starts it again on the same port; resolves once it is ready. */
  async restartApiServer(): Promise<void> {
    await this.stopApiServer();
    await this.startApiServer();
  }

  /** Stops kube-apiserver alone (the rest of the plane keeps running). */
  async stopApiServer(): Promise<void> {
    const c = this.#components.get("kube-apiserver");
    if (c) await this.#stopComponent(c);
  }

  /** Starts kube-apiserver again after {@link stopApiServer}; resolves once it is ready. */
  async startApiServer(): Promise<void> {
    const c = this.#components.get("kube-apiserver");
    if (!c) throw new Error("Cannot start kube-apiserver: this plane never had one");
    this.#spawn(c);
    await this.waitReady();
  }

  /**
   * Compacts etcd up to its current revision, so that watches and lists from
   * any older `resourceVersion` get `410 Gone`. Returns the revision.
   */
  async compactEtcd(): Promise<number> {
    const range = await fetch(`${this.etcdUrl}/v3/kv/range`, {
      method: "POST",
      body: JSON.stringify({ key: btoa("\0"), range_end: btoa("\0"), limit: 1, keys_only: true }),
    });
    const body = await range.json() as { header?: { revision?: string } };
    const revision = Number(body.header?.revision);
    if (!Number.isFinite(revision)) throw new Error("Cannot read etcd's revision");
    const res = await fetch(`${this.etcdUrl}/v3/kv/compaction`, {
      method: "POST",
      body: JSON.stringify({ revision: String(revision), physical: true }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Cannot compact etcd to ${revision}: ${text}`);
    return revision;
  }

  /** Resolves once the apiserver's `/readyz` answers 200, or throws after the ready timeout. */
  async waitReady(): Promise<void> {
    const deadline = Date.now() + this.#readyTimeoutMs;
    let last = "no answer yet";
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`${this.server}/readyz`, { client: await this.#client() });
        last = `${res.status} ${(await res.text()).slice(-300)}`;
        if (res.ok) return;
      } catch (err) {
        last = (err as Error).message;
      }
      const c = this.#components.get("kube-apiserver");
      if (c?.child === undefined) break;
      await delay(250);
    }
    throw new Error(
      `Cannot reach a ready kube-apiserver at ${this.server}: ${last}\n` +
        (await this.logTail("kube-apiserver")),
    );
  }

  /** The last lines of a component's log, for failure messages. */
  async logTail(name: string, lines = 30): Promise<string> {
    try {
      const text = await Deno.readTextFile(`${this.dir}/logs/${name}.log`);
      return `--- last lines of ${name}.log ---\n` + text.split("\n").slice(-lines).join("\n");
    } catch {
      return `(no log for ${name})`;
    }
  }

  /** Stops every component (reverse start order) and removes the directory it created. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const c of [...this.#components.values()].reverse()) await this.#stopComponent(c);
    this.#http?.close();
    this.#http = undefined;
    if (this.#ownsDir) await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  /** @internal */
  async addComponent(name: string, args: readonly string[]): Promise<void> {
    const c: Component = { name, args };
    this.#components.set(name, c);
    this.#spawn(c);
    // A component that dies at once (bad flag, port taken) should fail loudly here.
    await delay(300);
    if (c.child === undefined) {
      throw new Error(`Cannot start ${name}: it exited at once\n${await this.logTail(name)}`);
    }
  }

  #spawn(c: Component): void {
    const log = `${this.dir}/logs/${c.name}.log`;
    const quoted = [this.#binary, c.name, ...c.args].map(shellQuote).join(" ");
    // exec keeps the component's pid equal to the child's, so signals reach
    // it; setsid puts it in a session of its own, so a terminal's Ctrl-C
    // reaches only us and we stop the plane after Vigil, in order.
    const setsid = HAS_SETSID ? "exec setsid " : "exec ";
    const child = new Deno.Command("sh", {
      args: ["-c", `${setsid}${quoted} >>${shellQuote(log)} 2>&1`],
      env: { VIGIL_PLANE_EXIT_WITH_PARENT: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    c.child = child;
    child.status.then(() => {
      if (c.child === child) c.child = undefined;
    });
  }

  async #stopComponent(c: Component): Promise<void> {
    const child = c.child;
    if (!child) return;
    c.child = undefined;
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, COMPONENT_STOP_TIMEOUT_MS);
    await child.status;
    clearTimeout(timer);
  }

  async #client(): Promise<Deno.HttpClient> {
    if (this.#http === undefined) {
      const pki = `${this.dir}/pki`;
      this.#http = Deno.createHttpClient({
        caCerts: [await Deno.readTextFile(`${pki}/ca.crt`)],
        cert: await Deno.readTextFile(`${pki}/admin.crt`),
        key: await Deno.readTextFile(`${pki}/admin.key`),
      });
    }
    return this.#http;
  }
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Builds (first time only) and starts a control plane; resolves once the
 * apiserver is ready and, for a full plane, every kwok node is Ready.
 *
 * @throws {Error} with the failing component's log tail when it cannot start.
 */
export async function startPlane(options: PlaneOptions = {}): Promise<Plane> {
  const log = options.log ?? (() => {});
  const binary = await ensurePlaneBinary({ log });
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "vigil-plane-" });
  await Deno.mkdir(`${dir}/logs`, { recursive: true });
  const [etcdPort, etcdPeerPort, apiPort, kcmPort, schedPort, kwokPort] = freePorts(6) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const server = `https://127.0.0.1:${apiPort}`;
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const plane = new Plane({
    binary,
    dir,
    ownsDir,
    server,
    etcdUrl,
    log,
    readyTimeoutMs: options.readyTimeoutMs ?? 120_000,
  });
  try {
    await bootstrap(plane, options, {
      etcdPort,
      etcdPeerPort,
      apiPort,
      kcmPort,
      schedPort,
      kwokPort,
    });
    return plane;
  } catch (err) {
    await plane.stop();
    throw err;
  }
}
