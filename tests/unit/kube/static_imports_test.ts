/**
 * What `vigil run` loads before it does anything: the static module graph
 * of `main.ts` (what `deno info` reports, following only static imports,
 * not `import type` nor `await import()`).
 */
import assert from "node:assert/strict";

const MAIN = new URL("../../../main.ts", import.meta.url).pathname;

interface Info {
  roots: string[];
  modules: {
    specifier: string;
    dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
  }[];
}

/** `deno info --json main.ts`, run once for every test of this file. */
const info: Promise<Info> = (async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", MAIN],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout)) as Info;
})();

/**
 * Every module `main.ts` loads at start, npm modules as `npm:` specifiers;
 * with `dynamic`, also every module it may load later with `await import()`.
 */
async function staticGraph(dynamic = false): Promise<Set<string>> {
  const { roots, modules } = await info;
  const bySpecifier = new Map(modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const pending = [...roots];
  while (pending.length > 0) {
    const specifier = pending.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dep.code !== undefined && (dynamic || !dep.isDynamic)) pending.push(dep.code.specifier);
    }
  }
  return seen;
}

Deno.test("vigil loads none of client-node at start (its generated API is ~85 MB resident) and no second HTTP stack", async () => {
  const graph = await staticGraph();
  const heavy = [...graph].filter((s) => /^npm:\/?(@kubernetes\/client-node|undici)@/.test(s));
  assert.deepEqual(heavy, [], "auth plugins are imported on first use, with await import()");
});

Deno.test("vigil never loads an X.509 library: self-signed mode writes its certificates' DER itself", async () => {
  const graph = await staticGraph(true);
  assert.ok([...graph].some((s) => s.endsWith("/src/webhook/self_signed.ts")));
  const heavy = [...graph].filter((s) => /^npm:\/?(@peculiar\/x509|reflect-metadata)@/.test(s));
  assert.deepEqual(
    heavy,
    [],
    "@peculiar/x509 and reflect-metadata cost ~9 MiB for two certificates",
  );
});

Deno.test("vigil loads a YAML parser only for a YAML kubeconfig: in-cluster and JSON configurations never load it", async () => {
  const atStart = [...await staticGraph()].filter((s) => /^npm:\/?yaml@/.test(s));
  assert.deepEqual(
    atStart,
    [],
    "kube_config.ts imports yaml on first use, crd_yaml.ts holds the CRD's YAML",
  );
  // `deno compile` embeds what `await import("yaml")` names, so a YAML kubeconfig still works.
  assert.ok([...await staticGraph(true)].some((s) => /^npm:\/?yaml@/.test(s)));
});
