/**
 * `deno task plane`: builds (first time only) and starts the local control
 * plane alone, prints its kubeconfig path, and runs until Ctrl-C.
 *
 * @module
 */
import { startPlane } from "../tests/support/plane.ts";
import { stateDir } from "./state_dir.ts";

const dir = `${stateDir()}/plane`;
await Deno.remove(dir, { recursive: true }).catch(() => {});
const plane = await startPlane({ dir, log: (line) => console.error(line) });
console.log(plane.kubeconfigPath);
console.error(`\nkubectl --kubeconfig ${plane.kubeconfigPath} get nodes`);
console.error(
  `(no kubectl? use: ${plane.binary} kubectl --kubeconfig ${plane.kubeconfigPath} get nodes)`,
);
console.error("Ctrl-C stops the plane.");
await new Promise<void>((resolve) => {
  Deno.addSignalListener("SIGINT", () => resolve());
  Deno.addSignalListener("SIGTERM", () => resolve());
});
await plane.stop();
await Deno.remove(dir, { recursive: true }).catch(() => {});
Deno.exit(0);
