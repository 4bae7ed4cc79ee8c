/**
 * The Database status (the same in every served version) and its conditions,
 * in the standard `metav1.Condition` shape.
 *
 * @module
 */

import { z } from "zod";
import { STORAGE_PATTERN } from "./schema_common.ts";

/** Condition types Vigil reports. */
export const CONDITION_TYPES = ["Ready", "Available", "Progressing", "Degraded"] as const;

/** Phases a Database goes through. */
export const PHASES = ["Pending", "Running", "Upgrading", "Failed", "Terminating"] as const;

/** A Database phase. */
export type Phase = typeof PHASES[number];

const dateTime = () => z.string().max(64).meta({ format: "date-time" });

/** One condition, exactly the fields and bounds of `metav1.Condition`. */
export const conditionSchema = z.object({
  type: z.string().max(316).regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/,
  ).describe("Type of condition: Ready, Available, Progressing or Degraded."),
  status: z.enum(["True", "False", "Unknown"]).describe(
    "Status of the condition: True, False or Unknown.",
  ),
  observedGeneration: z.int().min(0).meta({ format: "int64" }).optional().describe(
    "metadata.generation the condition was computed from.",
  ),
  lastTransitionTime: dateTime().describe("When the condition last changed status."),
  reason: z.string().min(1).max(1024).regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/).describe(
    "Machine-readable CamelCase reason for the last transition.",
  ),
  message: z.string().max(32768).describe("Human-readable details of the last transition."),
}).describe("A condition in the standard Kubernetes shape.");

/** A status condition. */
export type Condition = z.input<typeof conditionSchema>;

/** Database status, written only by Vigil. */
export const statusSchema = z.object({
  conditions: z.array(conditionSchema).max(8).meta({
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["type"],
  }).optional().describe("Latest observations: Ready, Available, Progressing, Degraded."),
  phase: z.enum(PHASES).optional().describe(
    "Summary of the lifecycle: Pending, Running, Upgrading, Failed or Terminating.",
  ),
  replicas: z.int().min(0).meta({ format: "int32" }).optional().describe(
    "Instances that exist (for the scale subresource).",
  ),
  readyReplicas: z.int().min(0).meta({ format: "int32" }).optional().describe(
    "Instances that are ready to serve.",
  ),
  ready: z.string().max(16).regex(/^[0-9]+\/[0-9]+$/).optional().describe(
    "Ready instances out of desired, e.g. 2/3 (shown by kubectl get).",
  ),
  currentVersion: z.string().max(16).optional().describe("Engine version every instance runs."),
  observedGeneration: z.int().min(0).meta({ format: "int64" }).optional().describe(
    "metadata.generation the status was computed from.",
  ),
  endpoints: z.object({
    readWrite: z.string().max(320).optional().describe(
      "host:port of the read-write Service, e.g. orders.shop.svc.cluster.local:5432.",
    ),
    readOnly: z.string().max(320).optional().describe("host:port of the read-only Service."),
  }).optional().describe("Where clients connect."),
  credentialsSecret: z.string().max(253).optional().describe(
    "Name of the Secret (same namespace) holding the credentials.",
  ),
  configHash: z.string().max(128).optional().describe(
    "Hash of the rendered configuration the instances run with.",
  ),
  storageSize: z.string().max(32).regex(new RegExp(STORAGE_PATTERN)).optional().describe(
    "Actual size of the volumes.",
  ),
  lastBackupTime: dateTime().optional().describe("When the last successful backup finished."),
  selector: z.string().max(4096).optional().describe(
    "Label selector of the instances' pods (for the scale subresource).",
  ),
  message: z.string().max(32768).optional().describe("Human-readable summary of the state."),
}).describe("Observed state of the Database, written by Vigil.");

/** Database status. */
export type DatabaseStatus = z.input<typeof statusSchema>;
