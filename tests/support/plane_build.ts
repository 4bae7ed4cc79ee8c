/**
 * Builds the test control plane (`tests/controlplane`, a Go wrapper around
 * the upstream Kubernetes modules) once into a cache directory outside the
 * repository, keyed by a hash of its sources, so that a rerun starts in
 * seconds and a changed `go.mod` rebuilds by itself.
 *
 * @module
 */

const SOURCE_DIR = new URL("../controlplane/", import.meta.url);

/** Options of {@link ensurePlaneBinary}. */
export interface BuildOptions {
  /** Where progress goes; default stderr. */
  readonly log?: (line: string) => void;
}

/** The cache root: `$VIGIL_CACHE_DIR`, else `$XDG_CACHE_HOME/vigil`, else `~/.cache/vigil`. */
export function cacheRoot(): string {
  const explicit = Deno.env.get("VIGIL_CACHE_DIR");
  if (explicit) return explicit;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/vigil`;
  const home = Deno.env.get("HOME");
  if (!home) {
    throw new Error("Cannot choose a cache directory: neither VIGIL_CACHE_DIR nor HOME is set");
  }
  return `${home}/.cache/vigil`;
}

/** The Kubernetes release the wrapper is pinned to, read from its go.mod. */
export async function kubernetesVersion(): Promise<string> {
  const goMod = await Deno.readTextFile(new URL("go.mod", SOURCE_DIR));
  const match = goMod.match(/^\s*k8s\.io\/kubernetes\s+(v\d+\.\d+\.\d+)/m);
  if (!match?.[1]) {
    throw new Error("Cannot find the k8s.io/kubernetes version in tests/controlplane/go.mod");
  }
  return match[1];
}

async function sourceHash(): Promise<string> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(SOURCE_DIR)) {
    if (entry.isFile && /\.(go|mod|sum)$/.test(entry.name)) names.push(entry.name);
  }
  names.sort();
  const parts: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const name of names) {
    parts.push(enc.encode(`\0${name}\0`), await Deno.readFile(new URL(name, SOURCE_DIR)));
  }
  const goVersion = await run("go", ["env", "GOVERSION"]);
  parts.push(enc.encode(goVersion.trim()));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest.slice(0, 10), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    ...(cwd === undefined ? {} : { cwd }),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `Cannot run ${cmd} ${args.join(" ")}: exit ${out.code}\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * Returns the path of the `vigil-plane` binary, building it first when the
 * cache has none for the current sources.
 *
 * @throws {Error} when Go is missing or the build fails (with Go's output).
 */
export async function ensurePlaneBinary(options: BuildOptions = {}): Promise<string> {
  const log = options.log ?? ((line: string) => console.error(line));
  const dir = `${cacheRoot()}/plane/${await sourceHash()}`;
  const binary = `${dir}/vigil-plane`;
  try {
    await Deno.stat(binary);
    return binary;
  } catch {
    // not built yet
  }
  await Deno.mkdir(dir, { recursive: true });
  const version = await kubernetesVersion();
  const [major, minor] = version.slice(1).split(".");
  const pkg = "k8s.io/component-base/version";
  const ldflags = [
    "-s",
    "-w",
    `-X ${pkg}.gitVersion=${version}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ].join(" ");
  const tmp = `${binary}.tmp-${Deno.pid}`;
  log(
    `building the test control plane (Kubernetes ${version}) into ${dir}; the first build takes minutes`,
  );
  const started = performance.now();
  const child = new Deno.Command("go", {
    args: ["build", "-ldflags", ldflags, "-o", tmp, "."],
    cwd: SOURCE_DIR.pathname,
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const status = await child.status;
  if (!status.success) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`Cannot build the test control plane: go build exited ${status.code}`);
  }
  await Deno.rename(tmp, binary);
  log(`built the test control plane in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return binary;
}
