/**
 * Installing the Database CRD on the shared plane, and undoing what a test
 * wired into it, so that cluster tests do not depend on each other's order.
 */
import { buildCrd } from "../../src/database/crd.ts";
import type { SharedPlane } from "./shared_plane.ts";

/**
 * Applies the Database CRD with conversion `None` (no conversion webhook runs
 * unless a test wires one in) and waits until it is Established.
 */
export async function installDatabaseCrd(plane: SharedPlane): Promise<void> {
  const crd = structuredClone(buildCrd()) as { spec: { conversion?: unknown } };
  crd.spec.conversion = { strategy: "None" };
  await plane.kubectlOk(["apply", "--server-side", "--force-conflicts", "-f", "-"], {
    stdin: JSON.stringify(crd),
  });
  await plane.kubectlOk([
    "wait",
    "--for=condition=Established",
    "crd/databases.vigil.dev",
    "--timeout=60s",
  ]);
}

/**
 * Removes webhook configurations named `name` and points the CRD's conversion
 * back to `None`, so no later test meets a webhook whose server is gone.
 */
export async function unwireDatabaseWebhooks(plane: SharedPlane, name: string): Promise<void> {
  await plane.kubectl(["delete", "mutatingwebhookconfiguration", name, "--ignore-not-found"]);
  await plane.kubectl(["delete", "validatingwebhookconfiguration", name, "--ignore-not-found"]);
  await plane.kubectl([
    "patch",
    "crd",
    "databases.vigil.dev",
    "--type=merge",
    "-p",
    JSON.stringify({ spec: { conversion: { strategy: "None", webhook: null } } }),
  ]);
}

/**
 * A server-side dry run of creating an empty Database in `namespace`: the
 * object as the apiserver would store it after admission (what the mutating
 * webhook added shows), or `undefined` when the apiserver refused it. The
 * apiserver learns of new webhook configurations from a watch, so tests
 * poll this until the webhook's mark appears.
 */
export async function dryRunDatabase(
  plane: SharedPlane,
  namespace: string,
  spec: Record<string, unknown> = {},
): Promise<Record<string, unknown> & { metadata?: Record<string, unknown> } | undefined> {
  const out = await plane.kubectl(
    ["-n", namespace, "create", "--dry-run=server", "-o", "json", "-f", "-"],
    {
      stdin: JSON.stringify({
        apiVersion: "vigil.dev/v1",
        kind: "Database",
        metadata: { name: "dry-run-probe" },
        spec,
      }),
    },
  );
  return out.code === 0 ? JSON.parse(out.stdout) : undefined;
}
