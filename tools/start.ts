/**
 * `deno task start`: runs Vigil against the current kubeconfig when its API
 * server answers; otherwise builds (first time only) and starts the local
 * control plane on loopback, installs the CRDs, prints the `kubectl` line to
 * use it, and runs Vigil against it until Ctrl-C.
 *
 * Vigil itself runs as `main.ts run` under the same permission flags as the
 * compiled binary, plus the API server and kubeconfig file it was given.
 *
 * @module
 */
import { KubeClient, type LoadedKubeConfig, loadKubeConfig } from "../src/kube/mod.ts";
import { type Plane, startPlane } from "../tests/support/plane.ts";
import { permissionFlags } from "./permissions.ts";
import { stateDir } from "./state_dir.ts";

const root = new URL("../", import.meta.url).pathname;

async function reachable(): Promise<LoadedKubeConfig | undefined> {
  let loaded: LoadedKubeConfig;
  try {
    loaded = await loadKubeConfig();
  } catch (err) {
    console.error(`no usable kubeconfig (${(err as Error).message})`);
    return undefined;
  }
  try {
    const client = new KubeClient(loaded.kubeConfig);
    await client.request("GET", "/version", { timeoutMs: 3000 });
    return loaded;
  } catch (err) {
    console.error(
      `the current kubeconfig's API server ${loaded.server} does not answer: ${
        (err as Error).message
      }`,
    );
    return undefined;
  }
}

let plane: Plane | undefined;
// Flags for the local plane: the apiserver reaches the webhooks on loopback
// with a certificate Vigil generates and wires in itself.
const localFlags = ["--webhook-self-signed", "--webhook-url-host=127.0.0.1"];
let kubeconfigPath: string;
let server: string;
const existing = await reachable();
if (existing && existing.paths.length > 0) {
  kubeconfigPath = existing.paths[0]!;
  server = existing.server;
  console.error(`running Vigil against ${server} (${kubeconfigPath})`);
  if (!Deno.args.some((a) => a.startsWith("--webhook-"))) {
    console.error(
      "note: Vigil's webhooks need a certificate and an address the API server can reach;\n" +
        "  until then /readyz fails and nothing else starts. For development pass\n" +
        "  --webhook-self-signed --webhook-url-host=<address the API server reaches>\n" +
        "  (e.g. npx --yes deno@2.9.6 task start --webhook-self-signed --webhook-url-host=172.17.0.1)",
    );
  }
} else {
  const dir = `${stateDir()}/plane`;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  console.error("starting a local control plane on loopback");
  plane = await startPlane({ dir, log: (line) => console.error(line) });
  kubeconfigPath = plane.kubeconfigPath;
  server = plane.server;
  await plane.kubectlOk(["apply", "--server-side", "-f", `${root}crds/`]);
  console.error(`\nUse the plane with:\n  kubectl --kubeconfig ${kubeconfigPath} get nodes`);
  console.error(`(no kubectl? ${plane.binary} kubectl --kubeconfig ${kubeconfigPath} get nodes)\n`);
}

const apiHost = new URL(server).host;
const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    ...permissionFlags({
      net: [apiHost, "127.0.0.1:8080", "127.0.0.1:8081", "127.0.0.1:9443"],
      read: [kubeconfigPath],
    }),
    `${root}main.ts`,
    "run",
    `--kubeconfig=${kubeconfigPath}`,
    "--metrics-bind-address=127.0.0.1:8080",
    "--health-probe-bind-address=127.0.0.1:8081",
    ...(plane ? localFlags : []),
    ...Deno.args,
  ],
  stdin: "null",
}).spawn();

const forward = (signal: Deno.Signal) => () => {
  try {
    child.kill(signal);
  } catch {
    // already gone
  }
};
Deno.addSignalListener("SIGINT", forward("SIGINT"));
Deno.addSignalListener("SIGTERM", forward("SIGTERM"));
const exited = child.status;
if (plane) void printNextSteps(plane.kubeconfigPath, exited);
const status = await exited;
if (plane) {
  console.error("stopping the local control plane");
  await plane.stop();
  // The kubeconfig would point at a server that no longer exists.
  await Deno.remove(plane.dir, { recursive: true }).catch(() => {});
}
Deno.exit(status.code);

/** Once Vigil answers /readyz, tells a newcomer how to run a first Database. */
async function printNextSteps(kubeconfig: string, exited: Promise<unknown>): Promise<void> {
  let done = false;
  exited.then(() => done = true);
  while (!done) {
    const ok = await fetch("http://127.0.0.1:8081/readyz").then((r) => {
      r.body?.cancel();
      return r.ok;
    }).catch(() => false);
    if (ok) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (done) return;
  const k = `kubectl --kubeconfig ${kubeconfig}`;
  console.error(
    `\nVigil is ready. Run a first Database:\n  ${k} apply -f ${root}examples/postgres.yaml\n` +
      `  ${k} wait --for=condition=Ready db/orders --timeout=60s\n  ${k} get db\n`,
  );
}
