/**
 * The Database API: versioned schemas, CRD, catalog, defaulting, validation and conversion.
 *
 * @module
 */

export * from "./quantity.ts";
export * from "./cron.ts";
export * from "./engine_parameters.ts";
export * from "./catalog.ts";
export * from "./schema_common.ts";
export * from "./status_schema.ts";
export * from "./database_v1.ts";
export * from "./database_v1beta1.ts";
export * from "./database_v1alpha1.ts";
export * from "./crd.ts";
export * from "./config_file.ts";
export * from "./field_problem.ts";
export * from "./default_database.ts";
export * from "./validate_database.ts";
export * from "./convert.ts";
export * from "./database_admission.ts";
export * from "./webhook_configurations.ts";
