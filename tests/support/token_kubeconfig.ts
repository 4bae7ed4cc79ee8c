/**
 * A kubeconfig that authenticates as a ServiceAccount: a bearer token (from
 * `kubectl create token`) and the server and CA of an admin kubeconfig.
 *
 * @module
 */
import YAML from "yaml";

/** Renders a one-context kubeconfig using `token` only, for the cluster of the kubeconfig at `adminPath`. */
export async function tokenKubeconfig(
  adminPath: string,
  token: string,
  namespace = "default",
): Promise<string> {
  const admin = YAML.parse(await Deno.readTextFile(adminPath));
  const cluster = admin.clusters[0].cluster;
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "plane",
      cluster: {
        server: cluster.server,
        "certificate-authority-data": cluster["certificate-authority-data"],
      },
    }],
    users: [{ name: "token", user: { token } }],
    contexts: [{ name: "token", context: { cluster: "plane", user: "token", namespace } }],
    "current-context": "token",
  });
}
