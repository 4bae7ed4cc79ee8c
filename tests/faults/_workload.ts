/**
 * Workloads the fault scenarios run: many Databases applied in one request,
 * spec changes, and admission requests sent at a steady rate to the
 * replicas' webhook ports the way a Service would route them.
 *
 * @module
 */
import type { SharedPlane } from "../support/shared_plane.ts";
import { admit, trustingClient } from "../cluster/cli/_admission.ts";
import { delay, type Incarnation } from "./_harness.ts";

/** The spec most scenarios use: one small PostgreSQL instance. */
export const SMALL = { engine: "postgres", version: "17.5", replicas: 1, storageSize: "1Gi" };

/** `prefix-0` … `prefix-(n-1)`, each with `spec`. */
export function databases(
  prefix: string,
  n: number,
  spec: Record<string, unknown> = SMALL,
): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}-${i}`, spec]));
}

/** Applies Databases (name → spec) in one `kubectl apply` of a List. */
export async function applyDatabases(
  plane: SharedPlane,
  namespace: string,
  specs: Record<string, Record<string, unknown>>,
): Promise<void> {
  const items = Object.entries(specs).map(([name, spec]) => ({
    apiVersion: "vigil.dev/v1",
    kind: "Database",
    metadata: { name },
    spec,
  }));
  await plane.kubectlOk(["-n", namespace, "apply", "-f", "-"], {
    stdin: JSON.stringify({ apiVersion: "v1", kind: "List", items }),
  });
}

/** Merge-patches the spec of each named Database. */
export async function patchSpecs(
  plane: SharedPlane,
  namespace: string,
  names: readonly string[],
  spec: Record<string, unknown>,
): Promise<void> {
  for (const name of names) {
    await plane.kubectlOk([
      "-n",
      namespace,
      "patch",
      "db",
      name,
      "--type=merge",
      "-p",
      JSON.stringify({ spec }),
    ]);
  }
}

/** One admission request and what came back. */
export interface AdmissionResult {
  readonly at: number;
  readonly replica: string;
  readonly answer: string;
}

/**
 * Sends `perSecond` admission requests a second, round-robin over the
 * incarnations `targets()` returns at each send (the Service's endpoints),
 * without waiting for answers; `stop()` resolves with every result.
 */
export function admissionLoad(
  targets: () => readonly Incarnation[],
  perSecond: number,
): { results: AdmissionResult[]; stop(): Promise<AdmissionResult[]> } {
  const results: AdmissionResult[] = [];
  const clients = new Map<Incarnation, Deno.HttpClient>();
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  const clientOf = (inc: Incarnation) => {
    let c = clients.get(inc);
    if (c === undefined) {
      c = trustingClient(Deno.readTextFileSync(`${inc.vigil.certDir}/ca.crt`));
      clients.set(inc, c);
    }
    return c;
  };
  const loop = (async () => {
    const interval = 1_000 / perSecond;
    let next = performance.now();
    for (let i = 0; !stopped; i++) {
      const live = targets();
      if (live.length > 0) {
        const inc = live[i % live.length]!;
        const at = Date.now();
        const sent = admit(clientOf(inc), "127.0.0.1", inc.vigil.vigil.webhookPort)
          .then((answer) => {
            results.push({ at, replica: inc.replica, answer });
          });
        inFlight.add(sent);
        sent.finally(() => inFlight.delete(sent));
      }
      next += interval;
      await delay(Math.max(0, next - performance.now()));
    }
  })();
  let stopping: Promise<AdmissionResult[]> | undefined;
  return {
    results,
    stop() {
      stopped = true;
      stopping ??= (async () => {
        await loop;
        await Promise.all([...inFlight]);
        for (const c of clients.values()) c.close();
        return results;
      })();
      return stopping;
    },
  };
}
