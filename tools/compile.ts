/**
 * `deno task compile`: builds the single `vigil` binary into `dist/vigil`
 * with the permission flags from `tools/permissions.ts`.
 *
 * `deno compile` needs Deno's `denort` runtime. Online it is downloaded; for
 * air-gapped builds point `DENORT_BIN` at a `denort` of the same Deno version
 * (Deno reads that variable itself). `VIGIL_ALLOW_NET` / `VIGIL_ALLOW_READ`
 * add grants, e.g. a local API server for a binary used outside a cluster.
 *
 * @module
 */
import { extraFromEnv, permissionFlags } from "./permissions.ts";

const root = new URL("../", import.meta.url).pathname;
const target = Deno.args[0] ?? "dist/vigil";
const args = [
  "compile",
  ...permissionFlags(extraFromEnv((n) => Deno.env.get(n))),
  "--output",
  target,
  "main.ts",
];
const denort = Deno.env.get("DENORT_BIN");
console.error(
  `deno ${args.join(" ")}${
    denort ? ` (DENORT_BIN=${denort})` : " (downloads denort; set DENORT_BIN for air-gapped builds)"
  }`,
);
const status = await new Deno.Command(Deno.execPath(), { args, cwd: root }).spawn().status;
Deno.exit(status.code);
