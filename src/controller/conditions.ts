/**
 * Status conditions in the `metav1.Condition` shape, set the way apimachinery's
 * `meta.SetStatusCondition` does: `lastTransitionTime` moves only when the
 * status flips.
 *
 * @module
 */
import type { Condition } from "../database/mod.ts";

/** A condition as computed, before its transition time is known. */
export interface ConditionInput {
  readonly type: (typeof CONDITION_ORDER)[number];
  readonly status: "True" | "False" | "Unknown";
  readonly reason: string;
  readonly message: string;
}

/**
 * The order conditions are written in (stable, so an unchanged status compares
 * equal). The first four are always there; `Resizing` once the storage has
 * been grown, `BackupFailed` while backups are scheduled.
 */
export const CONDITION_ORDER = [
  "Ready",
  "Available",
  "Progressing",
  "Degraded",
  "Resizing",
  "BackupFailed",
] as const;

/**
 * Merges computed conditions with the previous ones: each keeps its previous
 * `lastTransitionTime` unless its status changed, and carries `observedGeneration`.
 */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  options: { readonly observedGeneration: number; readonly now: Date },
): Condition[] {
  const time = options.now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const byType = new Map((previous ?? []).map((c) => [c.type, c]));
  const sorted = [...next].sort((a, b) =>
    CONDITION_ORDER.indexOf(a.type) - CONDITION_ORDER.indexOf(b.type)
  );
  return sorted.map((c) => {
    const old = byType.get(c.type);
    return {
      type: c.type,
      status: c.status,
      observedGeneration: options.observedGeneration,
      lastTransitionTime: old !== undefined && old.status === c.status
        ? old.lastTransitionTime
        : time,
      reason: c.reason,
      message: c.message,
    };
  });
}

/** The condition of a type, if present. */
export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
