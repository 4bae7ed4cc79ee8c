/**
 * `deno task bench`: runs every benchmark script in `tests/bench/` one after
 * another (they share the machine, so never in parallel) and prints their
 * figures. Each script stops by itself.
 *
 * Usage: `deno task bench [name ...] [-- script args]`: names select the
 * scripts whose file name contains one of them; what follows `--` is passed
 * to each selected script (e.g. `deno task bench convergence -- 100 1000`).
 */
const dir = new URL("./", import.meta.url);
const scripts: string[] = [];
for await (const entry of Deno.readDir(dir)) {
  if (
    entry.isFile && entry.name.endsWith(".ts") && entry.name !== "run.ts" &&
    !entry.name.startsWith("_")
  ) {
    scripts.push(entry.name);
  }
}
scripts.sort();
const split = Deno.args.indexOf("--");
const only = split < 0 ? Deno.args : Deno.args.slice(0, split);
const scriptArgs = split < 0 ? [] : Deno.args.slice(split + 1);
let failures = 0;
for (const name of scripts) {
  if (only.length > 0 && !only.some((o) => name.includes(o))) continue;
  console.log(`\n##### ${name}`);
  const status = await new Deno.Command(Deno.execPath(), {
    // --expose-gc lets memory benchmarks settle the heap before they measure.
    args: [
      "run",
      "--allow-all",
      "--v8-flags=--expose-gc",
      new URL(name, dir).pathname,
      ...scriptArgs,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (!status.success) {
    console.log(`##### ${name} failed with exit ${status.code}`);
    failures++;
  }
}
Deno.exit(failures === 0 ? 0 : 1);
