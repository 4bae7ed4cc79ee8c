/**
 * A recording fake world for reconciler unit tests: informer-like caches and
 * an API whose writes land in them, so consecutive reconciles see their own
 * writes as they would through the informers.
 */
import {
  DatabaseReconciler,
  type DatabaseReconcilerOptions,
  OWNED_KINDS,
} from "../../../src/controller/mod.ts";
import type { Applier } from "../../../src/controller/apply/mod.ts";
import { InvalidError, type KubeClient } from "../../../src/kube/mod.ts";
import { type KubeObject, type ReconcileContext, Writer } from "../../../src/runtime/mod.ts";
import { FakeClock } from "../../../src/runtime/testing.ts";
import { OWNED_INDEXERS } from "../../../src/controller/instance_index.ts";
import { getLogger, setupLogging } from "../../../src/observability/log.ts";

setupLogging({ write: () => {} });

export interface Call {
  readonly verb: "apply" | "applyStatus" | "delete" | "patch";
  readonly kind: string;
  readonly name: string;
  readonly body?: unknown;
}

/** A world of caches and a recording API: writes land in the caches like an informer would. */
export function world(
  options: {
    refuse?: (obj: KubeObject) => boolean;
    /** Answers of `client.request` (PATCH of PVCs, finalizer); default `{}`. */
    request?: (method: string, path: string, body: unknown) => unknown;
    reconciler?: Partial<DatabaseReconcilerOptions>;
    allowsExpansion?: (name: string) => boolean | undefined;
    /**
     * Deletes reach the caches only when `landDeletes()` is called, as an
     * informer shows them a while after the request returned.
     */
    lagDeletes?: boolean;
  } = {},
) {
  const lagging: Array<{ kind: string; key: string }> = [];
  const landDeletes = () => {
    for (const d of lagging.splice(0)) owned.get(d.kind)!.delete(d.key);
  };
  const clock = new FakeClock(Date.parse("2026-12-01T00:00:00Z"));
  const databases = new Writer<KubeObject>();
  // The instance index, as the controller's informers have it.
  const owned = new Map(
    OWNED_KINDS.map(([, kind]) => [kind, new Writer<KubeObject>({ indexers: OWNED_INDEXERS })]),
  );
  const calls: Call[] = [];
  const events: string[] = [];
  /** `start <Kind>` when an apply is sent, `done <Kind>` when its answer arrives. */
  const timeline: string[] = [];
  let rv = 100;
  const land = (obj: KubeObject): KubeObject => {
    const kind = obj.kind ?? "";
    const writer = kind === "Database" ? databases : owned.get(kind)!;
    const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
    const old = writer.reader().get(key);
    // As the API server: a spec change moves the generation (status writes do not).
    const oldGeneration = (old?.metadata?.generation as number | undefined) ?? 0;
    const specChanged = kind !== "Database" && obj.spec !== undefined &&
      JSON.stringify(obj.spec) !== JSON.stringify(old?.spec);
    const merged = structuredClone({
      ...old,
      ...obj,
      metadata: {
        ...old?.metadata,
        ...obj.metadata,
        uid: old?.metadata?.uid ?? `uid-${rv}`,
        resourceVersion: String(++rv),
        ...(kind === "Database"
          ? {}
          : { generation: specChanged || old === undefined ? oldGeneration + 1 : oldGeneration }),
      },
    });
    writer.apply(merged);
    return merged;
  };
  const applier = {
    apply(obj: KubeObject) {
      calls.push({
        verb: "apply",
        kind: obj.kind ?? "",
        name: obj.metadata?.name ?? "",
        body: obj,
      });
      const kind = obj.kind ?? "";
      timeline.push(`start ${kind}`);
      // Answered a turn later, so writes sent together are in flight together.
      const answer = Promise.resolve().then(() => timeline.push(`done ${kind}`));
      if (options.refuse?.(obj)) {
        return answer.then(() =>
          Promise.reject(
            new InvalidError(
              `StatefulSet.apps "x" is invalid: spec.template.spec.containers[0].image`,
              {
                status: 422,
              },
            ),
          )
        );
      }
      return answer.then(() => land(obj));
    },
    applyStatus(_resource: unknown, obj: KubeObject) {
      calls.push({
        verb: "applyStatus",
        kind: "Database",
        name: obj.metadata?.name ?? "",
        body: obj,
      });
      const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
      const current = databases.reader().get(key)!;
      return Promise.resolve(land({ ...current, status: obj.status }));
    },
    delete(
      ref: { kind: string; namespace: string; name: string; uid?: string },
      o: { propagationPolicy?: string } = {},
    ) {
      calls.push({
        verb: "delete",
        kind: ref.kind,
        name: ref.name,
        body: { uid: ref.uid, propagationPolicy: o.propagationPolicy },
      });
      lagging.push({ kind: ref.kind, key: `${ref.namespace}/${ref.name}` });
      if (!options.lagDeletes) landDeletes();
      return Promise.resolve();
    },
  } as unknown as Applier;
  const client = {
    request(method: string, path: string, o: { body?: unknown } = {}) {
      const kind = path.includes("/persistentvolumeclaims/") ? "PersistentVolumeClaim" : "Database";
      calls.push({ verb: "patch", kind, name: path, body: o.body });
      try {
        return Promise.resolve(options.request?.(method, path, o.body) ?? {});
      } catch (err) {
        return Promise.reject(err);
      }
    },
  } as unknown as Pick<KubeClient, "request">;
  const reconciler = new DatabaseReconciler({
    caches: {
      databases: databases.reader(),
      owned: new Map([...owned].map(([k, w]) => [k, w.reader()])),
      storageClassExists: (name) => name !== "missing",
      storageClassAllowsExpansion: options.allowsExpansion ?? (() => undefined),
    },
    applier,
    client,
    events: { event: (_o, type, reason) => events.push(`${type} ${reason}`) },
    clock,
    ...options.reconciler,
  });
  const ctx: ReconcileContext = {
    signal: new AbortController().signal,
    log: getLogger("test"),
    reconcileId: "r",
    key: "shop/orders",
  };
  const run = () => reconciler.reconcile({ namespace: "shop", name: "orders" }, ctx);
  const addDatabase = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) =>
    databases.apply(structuredClone({
      apiVersion: "vigil.dev/v1",
      kind: "Database",
      metadata: { name: "orders", namespace: "shop", uid: "db-uid", generation: 1, ...metadata },
      spec: { engine: "postgres", replicas: 1, storageSize: "1Gi", ...spec },
    }));
  return { calls, events, timeline, databases, owned, run, addDatabase, clock, landDeletes };
}
