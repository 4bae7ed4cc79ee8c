/**
 * The Database reconciler on the runtime: desired state, apply, status,
 * cleanup, and the wiring of its caches and controller.
 *
 * @module
 */
export * from "./database_controller.ts";
export * from "./database_reconciler.ts";
export * from "./database_status.ts";
export * from "./conditions.ts";
export * from "./cleanup.ts";
export * from "./recent_writes.ts";
export * from "./rollout_step.ts";
export * from "./resize_plan.ts";
export * from "./backup_status.ts";
export * from "./config_diff.ts";
export * from "./transition_events.ts";
export * from "./rotation_step.ts";
/** Re-exported: the controller's finalizer, defined with the Database API. */
export { CLEANUP_FINALIZER } from "../database/mod.ts";
