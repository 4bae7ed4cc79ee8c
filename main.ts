/**
 * The `vigil` command: `run`, `crds`, `version`.
 *
 * Exit codes: 0 success, 1 runtime failure, 2 bad usage (flags, values).
 *
 * @module
 */
import "./src/env_guard.ts";
import { parseArgs } from "node:util";
import { ConfigError, parseRunConfig, runHelp } from "./src/config.ts";
import { runOperator } from "./src/cli/run_command.ts";
import { VERSION } from "./src/version.ts";

const USAGE = `Usage: vigil <command> [flags]

Vigil is a Kubernetes operator for Database resources (databases.vigil.dev).

Commands:
  run       run the operator against the current kubeconfig or in-cluster
  crds      print the CustomResourceDefinitions as YAML
  version   print the version

Run "vigil <command> --help" for a command's flags.
`;

const HELP: Readonly<Record<string, string>> = {
  run: runHelp(),
  crds:
    "Usage: vigil crds\n\nPrints the CustomResourceDefinition YAML that `kubectl apply -f -` installs.\n",
  version: "Usage: vigil version\n\nPrints the version.\n",
};

async function main(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (!(command in HELP)) {
    console.error(
      `vigil: unknown command "${command}" (accepted: run, crds, version; see vigil --help)`,
    );
    return 2;
  }
  const { tokens } = parseArgs({
    args: [...rest],
    options: { help: { type: "boolean", short: "h" } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  // --help or -h anywhere asks for the command's help, whatever else is given.
  if (tokens.some((t) => t.kind === "option" && t.name === "help")) {
    console.log(HELP[command]);
    return 0;
  }
  switch (command) {
    case "version":
      if (rest.length > 0) return usageError(`vigil version takes no arguments, got "${rest[0]}"`);
      console.log(`vigil ${VERSION}`);
      return 0;
    case "crds": {
      if (rest.length > 0) return usageError(`vigil crds takes no arguments, got "${rest[0]}"`);
      const { renderCrdYaml } = await import("./src/database/crd_yaml.ts");
      await Deno.stdout.write(new TextEncoder().encode(renderCrdYaml()));
      return 0;
    }
    case "run": {
      try {
        // runOperator also refuses, with a ConfigError, what the binary's grants do not cover.
        return await runOperator(parseRunConfig(rest, { env: (name) => Deno.env.get(name) }));
      } catch (err) {
        if (err instanceof ConfigError) return usageError(err.message);
        throw err;
      }
    }
  }
  return 2;
}

function usageError(message: string): number {
  console.error(`vigil: ${message}`);
  return 2;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    console.error(`vigil: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
