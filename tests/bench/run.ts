/**
 * `deno task bench`: runs every benchmark script in `tests/bench/` one after
 * another (they share the machine, so never in parallel) and prints their
 * figures. Each script stops by itself.
 *
 * Usage: `deno task bench [name ...] [-- script args]`: a name selects the
 * script `<name>_bench.ts` when there is one (`memory` is the idle-memory
 * bench, not also `webhook_memory_bench.ts`), else every script whose file
 * name contains it; a name that selects nothing is refused. What follows
 * `--` is passed to each selected script (e.g. `deno task bench convergence
 * -- 100 1000`).
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
const selected = new Set<string>();
for (const o of only) {
  const exact = scripts.filter((name) => name === `${o}_bench.ts` || name === o);
  const matches = exact.length > 0 ? exact : scripts.filter((name) => name.includes(o));
  if (matches.length === 0) {
    console.error(
      `bench: no benchmark matches "${o}"; accepted: ${
        scripts.map((name) => name.replace(/_bench\.ts$|\.ts$/, "")).join(", ")
      }`,
    );
    Deno.exit(2);
  }
  for (const name of matches) selected.add(name);
}
let failures = 0;
for (const name of scripts) {
  if (only.length > 0 && !selected.has(name)) continue;
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
