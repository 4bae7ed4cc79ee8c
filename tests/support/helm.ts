/**
 * The real `helm` (v4.3.2, from `helm.sh/helm/v4/cmd/helm`), built once from
 * the wrapper module `tests/tools/helm/` into the tool cache (see
 * {@linkcode ensureGoTool}), and a runner for it that never reads the
 * user's Helm configuration: each run gets a new temporary home (Helm keeps
 * its releases in the cluster, so nothing need outlive a run).
 *
 * @module
 */
import { ensureGoTool } from "./go_tool_build.ts";

/** The Helm version the wrapper module pins. */
export const HELM_VERSION = "v4.3.2";

/** Path of the built `helm` binary, building it first when the cache lacks it. */
export async function helmBinary(): Promise<string> {
  const { helm } = await ensureGoTool({
    name: "helm",
    binaries: { helm: "helm.sh/helm/v4/cmd/helm" },
    ldflags: [`-X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}`],
  });
  return helm!;
}

/** What one `helm` run printed and how it ended. */
export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** How a {@link Helm} runs. */
export interface HelmOptions {
  /** Kubeconfig for commands that reach a cluster. */
  readonly kubeconfig?: string;
}

/** Runs the built `helm`, each run with its cache, config and data in a new temporary home. */
export class Helm {
  private constructor(
    private readonly binary: string,
    private readonly options: HelmOptions,
  ) {}

  /** Builds (or finds) Helm. */
  static async create(options: HelmOptions = {}): Promise<Helm> {
    return new Helm(await helmBinary(), options);
  }

  /** Runs `helm <args>`; never throws on a non-zero exit. */
  async run(...args: string[]): Promise<HelmResult> {
    const home = await Deno.makeTempDir({ prefix: "vigil-helm-" });
    const env: Record<string, string> = {
      HOME: home,
      HELM_CACHE_HOME: `${home}/cache`,
      HELM_CONFIG_HOME: `${home}/config`,
      HELM_DATA_HOME: `${home}/data`,
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      NO_COLOR: "1",
    };
    if (this.options.kubeconfig !== undefined) env.KUBECONFIG = this.options.kubeconfig;
    try {
      const out = await new Deno.Command(this.binary, {
        args,
        clearEnv: true,
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decode = (b: Uint8Array) => new TextDecoder().decode(b);
      return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  }

  /**
   * Runs `helm <args>` and returns its stdout.
   *
   * @throws {Error} with the command and Helm's output when it exits non-zero.
   */
  async ok(...args: string[]): Promise<string> {
    const result = await this.run(...args);
    if (result.code !== 0) {
      throw new Error(
        `helm ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`,
      );
    }
    return result.stdout;
  }
}
