/**
 * Builds an upstream Go program used by the tests (Helm, promtool,
 * cert-manager, …) from a wrapper module under `tests/tools/<name>/`, once,
 * into the cache directory shared with the test control plane, keyed by a
 * hash of the wrapper's `go.mod`, `go.sum` and `.go` files and Go's version.
 * Nothing is downloaded but modules from the Go module proxy. Built without
 * `-trimpath`, like the plane, so packages both use come from Go's build cache.
 *
 * @module
 */

import { cacheRoot } from "./plane_build.ts";

/** What to build: a wrapper module and the packages in it that become binaries. */
export interface GoToolSpec {
  /** The wrapper's directory name under `tests/tools/`. */
  readonly name: string;
  /**
   * Binaries to build: output file name → Go package path (inside the
   * wrapper module or one of its dependencies, e.g. `helm.sh/helm/v3/cmd/helm`).
   */
  readonly binaries: Readonly<Record<string, string>>;
  /** Extra `-ldflags` (e.g. `-X` version stamps); `-s -w` is always set. */
  readonly ldflags?: readonly string[];
  /** Where progress goes; default stderr. */
  readonly log?: (line: string) => void;
}

const TOOLS_DIR = new URL("../tools/", import.meta.url);

async function toolHash(dir: URL, extra: string): Promise<string> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && /\.(go|mod|sum)$/.test(entry.name)) names.push(entry.name);
  }
  names.sort();
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [enc.encode(extra)];
  for (const name of names) {
    parts.push(enc.encode(`\0${name}\0`), await Deno.readFile(new URL(name, dir)));
  }
  const goVersion = await new Deno.Command("go", { args: ["env", "GOVERSION"], stdout: "piped" })
    .output();
  if (!goVersion.success) throw new Error("Cannot run `go env GOVERSION`: is Go installed?");
  parts.push(goVersion.stdout);
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest.slice(0, 10), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Returns the paths of the tool's binaries (same keys as `spec.binaries`),
 * building the ones the cache lacks for the current sources.
 *
 * @throws {Error} when Go is missing or a build fails (Go's output goes to stderr).
 */
export async function ensureGoTool(spec: GoToolSpec): Promise<Record<string, string>> {
  const log = spec.log ?? ((line: string) => console.error(line));
  const source = new URL(`${spec.name}/`, TOOLS_DIR);
  const ldflags = ["-s", "-w", ...(spec.ldflags ?? [])].join(" ");
  const hash = await toolHash(source, `${JSON.stringify(spec.binaries)}\0${ldflags}`);
  const dir = `${cacheRoot()}/tools/${spec.name}/${hash}`;
  await Deno.mkdir(dir, { recursive: true });
  const paths: Record<string, string> = {};
  for (const [file, pkg] of Object.entries(spec.binaries)) {
    const binary = `${dir}/${file}`;
    paths[file] = binary;
    try {
      await Deno.stat(binary);
      continue;
    } catch {
      // not built yet
    }
    const tmp = `${binary}.tmp-${Deno.pid}`;
    log(`building ${file} (${pkg}) into ${dir}; the first build takes minutes`);
    const started = performance.now();
    const status = await new Deno.Command("go", {
      args: ["build", "-ldflags", ldflags, "-o", tmp, pkg],
      cwd: source.pathname,
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    if (!status.success) {
      await Deno.remove(tmp).catch(() => {});
      throw new Error(`Cannot build ${file} from ${pkg}: go build exited ${status.code}`);
    }
    await Deno.rename(tmp, binary);
    log(`built ${file} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  return paths;
}
