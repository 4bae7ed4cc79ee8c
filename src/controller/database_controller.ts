/**
 * Wires the Database reconciler onto the runtime: one informer for
 * Databases, one per owned kind (cached only under Vigil's label selector,
 * `managedFields` stripped), a controller whose owned-object events map to
 * the owning Database, the `vigil_databases{phase}` gauge and the
 * per-Database gauges of `database_metrics.ts`.
 *
 * @module
 */
import { Gauge } from "../observability/prom.ts";
import type { KubeClient } from "../kube/mod.ts";
import { getLogger } from "../observability/log.ts";
import {
  Controller,
  enqueueForOwner,
  EventRecorder,
  ignoreStatusOnlyChanges,
  Informer,
  type KubeObject,
  type MapFunc,
  type Resource,
  type RuntimeMetrics,
  type Store,
} from "../runtime/mod.ts";
import { Applier, resourceFor } from "./apply/mod.ts";
import { DATABASE_RESOURCE, DatabaseReconciler } from "./database_reconciler.ts";
import { forgetOnceCached } from "./recent_writes.ts";
import { MANAGED_BY_SELECTOR } from "./desired/mod.ts";
import { CACHE_TRANSFORMS } from "./cache_transforms.ts";
import { OWNED_INDEXERS } from "./instance_index.ts";
import { registerDatabaseMetrics } from "./database_metrics.ts";
import { PHASES } from "../database/mod.ts";

/** The kinds Vigil creates or reads for a Database, with their API versions. */
export const OWNED_KINDS: ReadonlyArray<readonly [apiVersion: string, kind: string]> = [
  ["v1", "Secret"],
  ["v1", "ConfigMap"],
  ["v1", "Service"],
  ["apps/v1", "StatefulSet"],
  ["policy/v1", "PodDisruptionBudget"],
  ["batch/v1", "CronJob"],
  ["v1", "PersistentVolumeClaim"],
  ["v1", "Pod"],
  // The backup CronJob's runs: they carry the job template's labels.
  ["batch/v1", "Job"],
];

/** Kinds whose objects carry a controller owner reference to the Database. */
const CONTROLLED = new Set([
  "Secret",
  "ConfigMap",
  "Service",
  "StatefulSet",
  "PodDisruptionBudget",
  "CronJob",
]);

/** Options of {@link createDatabaseController}. */
export interface DatabaseControllerOptions {
  readonly client: KubeClient;
  readonly metrics: RuntimeMetrics;
  /** Only this namespace; default all. */
  readonly namespace?: string;
  readonly workers: number;
  readonly registryPrefix?: string;
  /** `source.host` of events (the leader identity). */
  readonly identity?: string;
  readonly storageClassExists?: (name: string) => boolean | undefined;
  /** A StorageClass's `allowVolumeExpansion`; undefined when unknown. */
  readonly storageClassAllowsExpansion?: (name: string) => boolean | undefined;
  readonly cleanupTimeoutMs?: number;
  /** How long a replaced replica may take to become Ready before its rollout stops; default 300 000 ms. */
  readonly replicaReadyTimeoutMs?: number;
}

/** What {@link createDatabaseController} builds: add every part to the manager. */
export interface DatabaseControllerParts {
  /** Caches: add each to the manager (they run on every replica, so standbys stay warm). */
  readonly informers: readonly Informer<KubeObject>[];
  /** Leader-only. */
  readonly controller: Controller;
  /** Writes events; add to the manager (always-on, flushed on stop). */
  readonly events: EventRecorder;
  readonly reconciler: DatabaseReconciler;
}

/** Builds the Database controller and its caches. */
export function createDatabaseController(o: DatabaseControllerOptions): DatabaseControllerParts {
  const ns = o.namespace === undefined ? {} : { namespace: o.namespace };
  const databases = new Informer<KubeObject>(o.client, DATABASE_RESOURCE, {
    ...ns,
    log: getLogger("informer"),
  });
  const owned = new Map<string, Informer<KubeObject>>();
  for (const [apiVersion, kind] of OWNED_KINDS) {
    const resource: Resource = { ...resourceFor(apiVersion, kind), kind };
    owned.set(
      kind,
      new Informer<KubeObject>(o.client, resource, {
        ...ns,
        ...(CACHE_TRANSFORMS[kind] === undefined ? {} : { transform: CACHE_TRANSFORMS[kind] }),
        labelSelector: MANAGED_BY_SELECTOR,
        indexers: OWNED_INDEXERS,
        log: getLogger("informer"),
      }),
    );
  }
  const events = new EventRecorder(o.client, {
    component: "vigil",
    ...(o.identity === undefined ? {} : { host: o.identity }),
    log: getLogger("events"),
  });
  const stores = new Map<string, Store<KubeObject>>(
    [...owned].map(([kind, informer]) => [kind, informer.store]),
  );
  const reconciler = new DatabaseReconciler({
    caches: {
      databases: databases.store,
      owned: stores,
      ...(o.storageClassExists === undefined ? {} : { storageClassExists: o.storageClassExists }),
      ...(o.storageClassAllowsExpansion === undefined
        ? {}
        : { storageClassAllowsExpansion: o.storageClassAllowsExpansion }),
    },
    applier: new Applier(o.client),
    client: o.client,
    events,
    ...(o.registryPrefix === undefined ? {} : { registryPrefix: o.registryPrefix }),
    ...(o.cleanupTimeoutMs === undefined ? {} : { cleanupTimeoutMs: o.cleanupTimeoutMs }),
    ...(o.replicaReadyTimeoutMs === undefined
      ? {}
      : { replicaReadyTimeoutMs: o.replicaReadyTimeoutMs }),
  });
  const controller = new Controller({
    name: "database",
    reconcile: reconciler.reconcile,
    workers: o.workers,
    metrics: o.metrics.controller("database"),
    queueMetrics: o.metrics.queue("database"),
    log: getLogger("controller"),
  });
  controller.watch(databases, {
    predicates: [ignoreStatusOnlyChanges],
    priority: (change) => change === "create" ? NEW_DATABASE_PRIORITY : 0,
  });
  // Every cache tells the reconciler what it now holds, so that a write it
  // remembers (to compare against until the cache catches up) is forgotten
  // as soon as the cache has it, not at the object's next reconcile.
  databases.addEventHandler(forgetOnceCached(reconciler, "Database"));
  for (const [kind, informer] of owned) {
    informer.addEventHandler(forgetOnceCached(reconciler, kind));
  }
  const toOwner = enqueueForOwner<KubeObject>({ group: "vigil.dev", kind: "Database" });
  for (const [kind, informer] of owned) {
    controller.watch(informer, { map: CONTROLLED.has(kind) ? toOwner : byInstanceLabel });
  }
  registerPhaseGauge(o.metrics, databases.store);
  registerDatabaseMetrics(o.metrics.registry, {
    databases: databases.store,
    cronJobs: owned.get("CronJob")?.store,
  });
  return { informers: [databases, ...owned.values()], controller, events, reconciler };
}

/**
 * A Database created while Vigil runs is reconciled ahead of other changes:
 * when 100 are created at once, each one's first reconcile (which creates its
 * StatefulSet) runs before the second look at those created earlier, whose
 * owned objects echo Vigil's own writes. Updates and owned-object changes
 * share priority 0, first come first served, so a steady stream of spec
 * changes never starves a rollout; only a burst of creates goes first.
 */
export const NEW_DATABASE_PRIORITY = 1;

/** PVCs, pods and Jobs carry no owner reference to the Database: map them by instance label. */
const byInstanceLabel: MapFunc<KubeObject> = (obj) => {
  const name = obj.metadata?.labels?.["app.kubernetes.io/instance"];
  const namespace = obj.metadata?.namespace;
  return name === undefined || namespace === undefined ? [] : [{ namespace, name }];
};

function registerPhaseGauge(metrics: RuntimeMetrics, store: Store<KubeObject>): void {
  new Gauge({
    name: "vigil_databases",
    help: "Databases by phase, from the cache",
    labelNames: ["phase"],
    registers: [metrics.registry],
    collect() {
      const counts = new Map<string, number>(PHASES.map((p) => [p, 0]));
      for (const db of store.list()) {
        const phase = (db.status as { phase?: string } | undefined)?.phase ?? "Pending";
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
      }
      for (const [phase, n] of counts) this.set({ phase }, n);
    },
  });
}
