/**
 * Helpers for running the real engines' Debian binaries the way the container
 * would: finding them, dropping root, laying files out like a ConfigMap
 * volume, mapping container paths to a temporary directory, running commands.
 *
 * Missing binaries are an error, never a skip: `.ci/run` installs them.
 *
 * @module
 */

/** A container path and the local directory standing in for it. */
export type PathMap = ReadonlyArray<readonly [container: string, local: string]>;

/** Result of {@linkcode run}. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const INSTALL_HINT = "install Debian's postgresql and mariadb-client (.ci/run does)";

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * The directory of Debian's PostgreSQL server binaries (`/usr/lib/postgresql/<major>/bin`,
 * the newest major), which are not on PATH.
 *
 * @throws {Error} when no `postgres` and `initdb` are installed.
 */
export function postgresBinDir(): string {
  const majors: number[] = [];
  try {
    for (const entry of Deno.readDirSync("/usr/lib/postgresql")) {
      if (/^[0-9]+$/.test(entry.name)) majors.push(Number(entry.name));
    }
  } catch {
    // No /usr/lib/postgresql: reported below.
  }
  for (const major of majors.sort((a, b) => b - a)) {
    const dir = `/usr/lib/postgresql/${major}/bin`;
    if (isFile(`${dir}/postgres`) && isFile(`${dir}/initdb`)) return dir;
  }
  throw new Error(`Cannot find PostgreSQL's postgres and initdb: ${INSTALL_HINT}`);
}

/**
 * The absolute path of a program on PATH.
 *
 * @throws {Error} when it is not installed.
 */
export function programPath(name: string): string {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    if (dir !== "" && isFile(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  throw new Error(`Cannot find ${name}: ${INSTALL_HINT}`);
}

/** uid/gid the engine runs as: ours, or `nobody` (65534) when we are root (postgres refuses root). */
export function engineUser(): { uid: number; gid: number } {
  return Deno.uid() === 0
    ? { uid: 65534, gid: 65534 }
    : { uid: Deno.uid() ?? 0, gid: Deno.gid() ?? 0 };
}

/** The command prefix that runs a program as {@linkcode engineUser}. */
export function asEngineUser(): string[] {
  if (Deno.uid() !== 0) return [];
  const { uid, gid } = engineUser();
  return [programPath("setpriv"), `--reuid=${uid}`, `--regid=${gid}`, "--clear-groups"];
}

/** Gives a directory tree to {@linkcode engineUser}. */
export async function chownToEngineUser(path: string): Promise<void> {
  if (Deno.uid() !== 0) return;
  const { uid, gid } = engineUser();
  const result = await run(["chown", "-R", `${uid}:${gid}`, path]);
  if (result.code !== 0) throw new Error(`chown failed: ${result.stderr}`);
}

/**
 * Replaces container paths by their local stand-ins, in one pass (a local
 * directory may itself lie under a mapped path such as `/tmp`). Only whole
 * path prefixes match: `/tmp` maps in `/tmp/x`, not in `/var/tmp`.
 */
export function mapPaths(text: string, paths: PathMap): string {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const sorted = [...paths].sort(([a], [b]) => b.length - a.length);
  const pattern = new RegExp(
    `(?<![\\w./-])(${sorted.map(([c]) => escape(c)).join("|")})(?=/|$|[^\\w.-])`,
    "gm",
  );
  const local = new Map(paths.map(([c, l]) => [c, l]));
  return text.replace(pattern, (match) => local.get(match) ?? match);
}

/**
 * Writes files the way the kubelet lays out a ConfigMap volume: a timestamped
 * directory, a `..data` symlink to it, and one symlink per file into `..data`.
 */
export async function writeConfigMapVolume(
  dir: string,
  files: Readonly<Record<string, string>>,
): Promise<void> {
  const stamp = "..2026_11_22_10_00_00.000000001";
  await Deno.mkdir(`${dir}/${stamp}`, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${stamp}/${name}`, text, { mode: 0o644 });
  }
  await Deno.symlink(stamp, `${dir}/..data`);
  for (const name of Object.keys(files)) await Deno.symlink(`..data/${name}`, `${dir}/${name}`);
}

/** Runs a command to completion and collects its output. */
export async function run(
  cmd: readonly string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  const [program = "", ...args] = cmd;
  const output = await new Deno.Command(program, {
    args,
    env: { LANG: "C", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Runs a command and throws with its output when it fails. */
export async function runOk(
  cmd: readonly string[],
  env: Record<string, string> = {},
): Promise<string> {
  const result = await run(cmd, env);
  if (result.code !== 0) {
    throw new Error(`${cmd.join(" ")} exited ${result.code}:\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

/** A long-running process whose stderr is collected. */
export interface Server {
  readonly child: Deno.ChildProcess;
  /** stderr so far. */
  log(): string;
  /** Resolves with the exit code once the process has exited and its output is drained. */
  readonly exited: Promise<number>;
}

/** Starts a long-running process, collecting its stderr (stdout is discarded). */
export function startServer(cmd: readonly string[], env: Record<string, string>): Server {
  const [program = "", ...args] = cmd;
  const child = new Deno.Command(program, {
    args,
    env: { LANG: "C", ...env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const drained = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) text += chunk;
  })();
  const exited = Promise.all([child.status, drained]).then(([status]) => status.code);
  return { child, log: () => text, exited };
}

/** Waits until `check` resolves true, the server exits, or the timeout passes. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  server: Server,
  timeoutMs = 30_000,
): Promise<void> {
  let exited = false;
  server.exited.then(() => exited = true);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${what}: the server exited early:\n${server.log()}`);
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms:\n${server.log()}`);
}
