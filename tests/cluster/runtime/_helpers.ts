/**
 * Shared pieces of the runtime cluster tests: a client for a plane, bulk
 * ConfigMap writes, and a counting wrapper that shows relists.
 *
 * @module
 */
import { KubeClient, loadKubeConfig } from "../../../src/kube/mod.ts";
import { setupLogging } from "../../../src/observability/log.ts";
import type { KubeObject, WatchClient } from "../../../src/runtime/mod.ts";

if (Deno.env.get("VIGIL_TEST_LOGS") === undefined) setupLogging({ level: "ERROR" });

export const CONFIGMAPS = {
  group: "",
  version: "v1",
  plural: "configmaps",
  namespaced: true,
  kind: "ConfigMap",
} as const;

/** A client for the plane behind `kubeconfigPath` (src/kube pools HTTP/1.1 connections). */
export async function clientFor(kubeconfigPath: string): Promise<KubeClient> {
  return new KubeClient((await loadKubeConfig({ kubeconfigPath })).kubeConfig);
}

/** Wraps a client and counts list (non-watch) requests. */
export function countingClient(client: KubeClient): WatchClient & { lists: number } {
  const counted = {
    lists: 0,
    request: <T>(...args: Parameters<KubeClient["request"]>) => {
      counted.lists++;
      return client.request<T>(...args);
    },
    stream: (...args: Parameters<KubeClient["stream"]>) => client.stream(...args),
  };
  return counted;
}

/** Creates `count` ConfigMaps `prefix-0…` with `concurrency` requests in flight. */
export async function createConfigMaps(
  client: KubeClient,
  namespace: string,
  count: number,
  options: { prefix?: string; concurrency?: number; data?: Record<string, string> } = {},
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await client.request("POST", `/api/v1/namespaces/${namespace}/configmaps`, {
        body: {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: `${options.prefix ?? "cm"}-${i}` },
          data: options.data ?? { i: String(i) },
        },
      });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 20 }, worker));
}

/** Creates a namespace through the API. */
export async function createNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  await client.request("POST", "/api/v1/namespaces", {
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
  });
  return name;
}

/** Deletes a namespace without waiting. */
export async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  await client.request("DELETE", `/api/v1/namespaces/${name}`).catch(() => {});
}

/** `name → resourceVersion` of a fresh list of ConfigMaps in `namespace`. */
export async function freshList(
  client: KubeClient,
  namespace: string,
): Promise<Map<string, string>> {
  const list = await client.request<{ items: KubeObject[] }>(
    "GET",
    `/api/v1/namespaces/${namespace}/configmaps`,
  );
  return new Map(list.items.map((o) => [o.metadata!.name!, o.metadata!.resourceVersion!]));
}

/** The same view of a store's content. */
export function storeView(objects: readonly KubeObject[]): Map<string, string> {
  return new Map(objects.map((o) => [o.metadata!.name!, o.metadata!.resourceVersion!]));
}

/** Polls until `check` returns true or `timeoutMs` passes. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Cannot confirm ${what}: timed out after ${timeoutMs} ms`);
}

/** Deep-equal for the two map views, with a readable message. */
export function sameContent(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/**
 * Wraps a client so a test can cut open watches and hold new ones back —
 * a network partition of this one informer, nothing else.
 */
export function partitionableClient(client: KubeClient) {
  let cut = Promise.withResolvers<"cut">();
  let gate: PromiseWithResolvers<void> | undefined;
  const wrapper = {
    lists: 0,
    request: <T>(...args: Parameters<KubeClient["request"]>) => {
      wrapper.lists++;
      return client.request<T>(...args);
    },
    stream: async (...args: Parameters<KubeClient["stream"]>) => {
      if (gate !== undefined) await gate.promise;
      const reader = (await client.stream(...args)).getReader();
      const myCut = cut.promise;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          const r = await Promise.race([reader.read(), myCut]);
          if (r === "cut" || r.done) {
            controller.close();
            await reader.cancel().catch(() => {});
          } else {
            controller.enqueue(r.value);
          }
        },
        cancel: (reason) => reader.cancel(reason),
      });
    },
    /** Closes every open watch and holds new ones until {@link heal}. */
    partition() {
      gate = Promise.withResolvers<void>();
      cut.resolve("cut");
      cut = Promise.withResolvers<"cut">();
    },
    heal() {
      gate?.resolve();
      gate = undefined;
    },
  };
  return wrapper;
}
