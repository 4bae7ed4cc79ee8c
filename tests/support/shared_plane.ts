/**
 * The one control plane a test run shares: started by `tests/run.ts` before
 * the cluster tests and described to them through environment variables, so
 * that no test pays for a plane start and Deno's resource sanitizers see no
 * process owned by a test. Tests isolate themselves with
 * {@link withNamespace}; tests that restart or break a plane start their own
 * with `startPlane()`.
 *
 * @module
 */

import { runKubectl, runKubectlOk } from "./kubectl.ts";

/** Environment variables `tests/run.ts` sets for the cluster tests. */
export const SHARED_PLANE_ENV = {
  kubeconfig: "VIGIL_TEST_KUBECONFIG",
  server: "VIGIL_TEST_SERVER",
  binary: "VIGIL_TEST_PLANE_BINARY",
  etcd: "VIGIL_TEST_ETCD_URL",
} as const;

/** What a test may do with the shared plane: use it, not stop or restart it. */
export interface SharedPlane {
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly binary: string;
  /** etcd's client URL, for tests that check what is stored. */
  readonly etcdUrl: string;
  kubectl(
    args: readonly string[],
    options?: { stdin?: string },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  kubectlOk(args: readonly string[], options?: { stdin?: string }): Promise<string>;
}

/**
 * Returns the run's shared plane.
 *
 * @throws {Error} when the tests were not started through `deno task test`
 * or `deno task test:cluster` (which start the plane).
 */
export function sharedPlane(): Promise<SharedPlane> {
  const kubeconfigPath = Deno.env.get(SHARED_PLANE_ENV.kubeconfig);
  const server = Deno.env.get(SHARED_PLANE_ENV.server);
  const binary = Deno.env.get(SHARED_PLANE_ENV.binary);
  const etcdUrl = Deno.env.get(SHARED_PLANE_ENV.etcd) ?? "";
  if (!kubeconfigPath || !server || !binary) {
    return Promise.reject(
      new Error(
        `Cannot find the shared control plane: ${SHARED_PLANE_ENV.kubeconfig} is not set; ` +
          "run cluster tests with `deno task test:cluster` (or `deno task test`), which starts it",
      ),
    );
  }
  const kubectl = (args: readonly string[], options: { stdin?: string } = {}) =>
    runKubectl(binary, kubeconfigPath, args, options);
  const kubectlOk = (args: readonly string[], options: { stdin?: string } = {}) =>
    runKubectlOk(binary, kubeconfigPath, args, options);
  return Promise.resolve({ kubeconfigPath, server, binary, etcdUrl, kubectl, kubectlOk });
}

/**
 * Runs `fn` in a fresh namespace (`<prefix>-<random>`) and deletes it after,
 * without waiting for the deletion to finish.
 */
export async function withNamespace<T>(
  plane: SharedPlane,
  prefix: string,
  fn: (namespace: string) => Promise<T>,
): Promise<T> {
  const namespace = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  await plane.kubectlOk(["create", "namespace", namespace]);
  try {
    return await fn(namespace);
  } finally {
    await plane.kubectl(["delete", "namespace", namespace, "--wait=false"]);
  }
}

/** Polls `check` every `intervalMs` until it returns a value other than `undefined`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
  throw new Error(
    `Cannot observe ${what} within ${options.timeoutMs ?? 60_000} ms` +
      (last instanceof Error ? `: ${last.message}` : ""),
  );
}
