/**
 * Desired state of a Database, as pure functions: one builder per owned kind
 * and {@linkcode desiredState}, which composes them. No I/O; the reconciler
 * compares the result with the live objects and applies what differs.
 *
 * @module
 */
export * from "./labels.ts";
export * from "./canonical_quantity.ts";
export * from "./engine_layout.ts";
export * from "./credentials_secret.ts";
export * from "./config_map.ts";
export * from "./services.ts";
export * from "./pod_security.ts";
export * from "./database_container.ts";
export * from "./stateful_set.ts";
export * from "./pod_disruption_budget.ts";
export * from "./backup_pvc.ts";
export * from "./backup_schedule.ts";
export * from "./backup_cron_job.ts";
export * from "./desired_state.ts";
export * from "./rotation.ts";
