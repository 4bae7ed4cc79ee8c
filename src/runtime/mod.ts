/**
 * Vigil's controller runtime: informers, workqueues, controllers, leader
 * election, events and the manager. It knows nothing of Vigil's own kinds.
 *
 * @module
 */
export * from "./clock.ts";
export * from "./with_deadline.ts";
export * from "./queue_metrics.ts";
export * from "./rate_limiters.ts";
export * from "./priority_queue.ts";
export * from "./resource.ts";
export * from "./backoff.ts";
export * from "./watcher.ts";
export * from "./store.ts";
export * from "./reflector.ts";
export * from "./informer.ts";
export * from "./resource_lock.ts";
export * from "./lease_lock.ts";
export * from "./leader_election.ts";
export * from "./event_correlator.ts";
export * from "./event_recorder.ts";
export * from "./reconcile.ts";
export * from "./stable_json.ts";
export * from "./predicates.ts";
export * from "./handler.ts";
export * from "./controller.ts";
export * from "./runnable.ts";
export * from "./health.ts";
export * from "./metrics.ts";
export * from "./probe_server.ts";
export * from "./manager.ts";
