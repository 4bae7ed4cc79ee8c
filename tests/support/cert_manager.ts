/**
 * cert-manager for the cluster tests: its controller and cainjector built
 * from the `github.com/cert-manager/cert-manager` module
 * (`tests/tools/cert-manager`, cached by {@link ensureGoTool}), its CRDs read
 * from the same module's `deploy/crds` in Go's module cache, and both
 * components run as processes against a plane's kubeconfig.
 *
 * @module
 */
import { ensureGoTool } from "./go_tool_build.ts";
import type { SharedPlane } from "./shared_plane.ts";

const WRAPPER_DIR = new URL("../tools/cert-manager/", import.meta.url).pathname;
const MODULE = "github.com/cert-manager/cert-manager";

/** Builds (once) the wrapper binary and returns its path. */
export async function ensureCertManager(): Promise<string> {
  const paths = await ensureGoTool({ name: "cert-manager", binaries: { "cert-manager": "." } });
  return paths["cert-manager"]!;
}

/** The cert-manager version the wrapper's go.mod pins, e.g. `v1.21.2`. */
export async function certManagerVersion(): Promise<string> {
  const goMod = await Deno.readTextFile(`${WRAPPER_DIR}go.mod`);
  const match = goMod.match(/^\s*github\.com\/cert-manager\/cert-manager\s+(v\S+)/m);
  if (!match?.[1]) throw new Error(`Cannot find ${MODULE}'s version in ${WRAPPER_DIR}go.mod`);
  return match[1];
}

/**
 * The CRD manifests cert-manager ships in its module (`deploy/crds/*.yaml`),
 * read from Go's module cache (`go mod download` fetches the module if the
 * cache lacks it), in file-name order.
 */
export async function certManagerCrdManifests(): Promise<string[]> {
  const out = await new Deno.Command("go", {
    args: ["mod", "download", "-json", MODULE],
    cwd: WRAPPER_DIR,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`Cannot download ${MODULE}: ${new TextDecoder().decode(out.stderr)}`);
  }
  const { Dir: dir } = JSON.parse(new TextDecoder().decode(out.stdout)) as { Dir: string };
  const names: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/deploy/crds`)) {
    if (entry.isFile && entry.name.endsWith(".yaml")) names.push(entry.name);
  }
  if (names.length === 0) throw new Error(`Cannot find CRDs in ${dir}/deploy/crds`);
  names.sort();
  return await Promise.all(names.map((n) => Deno.readTextFile(`${dir}/deploy/crds/${n}`)));
}

/** Applies cert-manager's CRDs and waits until they are Established. */
export async function installCertManagerCrds(plane: SharedPlane): Promise<string[]> {
  const manifests = await certManagerCrdManifests();
  const names: string[] = [];
  for (const manifest of manifests) {
    const applied = await plane.kubectlOk(
      ["apply", "--server-side", "--force-conflicts", "-o", "name", "-f", "-"],
      { stdin: manifest },
    );
    names.push(...applied.split("\n").filter((l) => l !== ""));
  }
  await plane.kubectlOk(["wait", "--for=condition=Established", ...names, "--timeout=60s"]);
  return names;
}

/** A running cert-manager component. */
export interface CertManagerProcess {
  readonly name: "controller" | "cainjector";
  /** Its stderr lines so far. */
  readonly lines: string[];
  /** SIGTERMs it (if still running) and waits for it and its output. */
  stop(): Promise<void>;
}

/** What {@link startCertManager} runs. */
export interface CertManager {
  readonly controller: CertManagerProcess;
  readonly cainjector: CertManagerProcess;
  /** Both components' output, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts cert-manager's controller and cainjector against the plane, leading
 * on Leases in `namespace` (which must exist); the controller keeps
 * ClusterIssuer Secrets there too.
 */
export async function startCertManager(
  plane: SharedPlane,
  namespace: string,
): Promise<CertManager> {
  const binary = await ensureCertManager();
  const start = (name: "controller" | "cainjector", extra: string[]): CertManagerProcess => {
    const child = new Deno.Command(binary, {
      args: [
        name,
        `--kubeconfig=${plane.kubeconfigPath}`,
        `--leader-election-namespace=${namespace}`,
        "--v=2", // upstream's default log level: what each controller does
        ...extra,
      ],
      clearEnv: true,
      env: { HOME: Deno.env.get("HOME") ?? "/" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const lines: string[] = [];
    const reading = (async () => {
      let buffer = "";
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        const parts = buffer.split("\n");
        buffer = parts.pop()!;
        lines.push(...parts);
      }
      if (buffer !== "") lines.push(buffer);
    })();
    return {
      name,
      lines,
      async stop() {
        try {
          child.kill("SIGTERM");
        } catch {
          // already exited
        }
        await child.status;
        await reading;
      },
    };
  };
  const controller = start("controller", [`--cluster-resource-namespace=${namespace}`]);
  const cainjector = start("cainjector", []);
  return {
    controller,
    cainjector,
    log: () =>
      [controller, cainjector].map((p) => `--- ${p.name}\n${p.lines.join("\n")}`).join("\n"),
    async stop() {
      await Promise.all([controller.stop(), cainjector.stop()]);
    },
  };
}
