import assert from "node:assert/strict";
import {
  backupState,
  changedConfigKeys,
  type ResizeObservation,
  resizePlan,
  rolloutStartEvents,
  statusTransitionEvents,
} from "../../../src/controller/mod.ts";
import type { LiveJob } from "../../../src/controller/observed_kinds.ts";
import type { DatabaseStatus } from "../../../src/database/mod.ts";

function claims(request: string, capacity: string | undefined, n = 3, className = "standard") {
  return Array.from({ length: n }, (_, i) => ({
    name: `data-orders-${i}`,
    request,
    capacity,
    storageClassName: className,
  }));
}

function resize(o: Partial<ResizeObservation>): ResizeObservation {
  return {
    desired: "20Gi",
    claims: claims("10Gi", "10Gi"),
    claimTemplateStorage: "10Gi",
    statefulSetIdle: true,
    allowsExpansion: () => true,
    refused: () => false,
    ...o,
  };
}

Deno.test("resize plan: every smaller claim is patched first, the StatefulSet is recreated only after", () => {
  const first = resizePlan(resize({}));
  assert.deepEqual(first.patch, ["data-orders-0", "data-orders-1", "data-orders-2"]);
  assert.equal(first.recreateStatefulSet, false);
  assert.deepEqual(first.resizing, { done: 0, total: 3 });
  // Requests accepted, capacity not there yet: recreate the StatefulSet now.
  const second = resizePlan(resize({ claims: claims("20Gi", "10Gi") }));
  assert.deepEqual(second.patch, []);
  assert.equal(second.recreateStatefulSet, true);
  assert.deepEqual(second.resizing, { done: 0, total: 3 });
  // Recreated, capacity reached: nothing left.
  const done = resizePlan(resize({ claims: claims("20Gi", "20Gi"), claimTemplateStorage: "20Gi" }));
  assert.deepEqual(done, {
    patch: [],
    waitingToBind: [],
    blocked: [],
    recreateStatefulSet: false,
    resizing: undefined,
  });
});

Deno.test("resize plan: quantities compare by value, not by spelling", () => {
  const plan = resizePlan(
    resize({ desired: "20480Mi", claims: claims("20Gi", "20Gi"), claimTemplateStorage: "20Gi" }),
  );
  assert.deepEqual(plan.patch, []);
  assert.equal(plan.recreateStatefulSet, false);
  assert.equal(plan.resizing, undefined);
});

Deno.test("resize plan: a class that cannot expand gets no request and no recreated StatefulSet", () => {
  const plan = resizePlan(resize({ allowsExpansion: (c) => c !== "standard" }));
  assert.deepEqual(plan.patch, []);
  assert.equal(plan.blocked.length, 3);
  assert.equal(plan.blocked[0]?.className, "standard");
  assert.equal(plan.recreateStatefulSet, false);
  assert.equal(plan.resizing, undefined);
  // The same when only the API server said so (class unknown to the cache).
  const refused = resizePlan(resize({ allowsExpansion: () => undefined, refused: () => true }));
  assert.deepEqual(refused.patch, []);
  assert.equal(refused.blocked.length, 3);
});

Deno.test("resize plan: no StatefulSet recreation during a rollout; unbound claims are not 'resizing'", () => {
  assert.equal(
    resizePlan(resize({ claims: claims("20Gi", "20Gi"), statefulSetIdle: false }))
      .recreateStatefulSet,
    false,
  );
  const scaleUp = resizePlan(resize({
    desired: "10Gi",
    claims: [...claims("10Gi", "10Gi", 2), {
      ...claims("10Gi", undefined, 1)[0]!,
      name: "data-orders-2",
    }],
  }));
  assert.equal(scaleUp.resizing, undefined);
});

Deno.test("resize plan: a claim not bound yet is grown once bound, never asked (the API server refuses)", () => {
  // A replica added while the claim template was still at 10Gi: its claim waits for a volume.
  const mixed = [...claims("10Gi", "10Gi", 2), {
    ...claims("10Gi", undefined, 1)[0]!,
    name: "data-orders-2",
  }];
  const plan = resizePlan(resize({ claims: mixed }));
  assert.deepEqual(plan.patch, ["data-orders-0", "data-orders-1"]);
  assert.deepEqual(plan.waitingToBind, ["data-orders-2"]);
  assert.deepEqual(plan.blocked, [], "an unbound claim says nothing about its class");
  assert.deepEqual(plan.resizing, { done: 0, total: 3 });
  // The bound ones accepted: the StatefulSet still waits for the last claim.
  const accepted = [...claims("20Gi", "10Gi", 2), mixed[2]!];
  const waiting = resizePlan(resize({ claims: accepted }));
  assert.deepEqual(waiting.patch, []);
  assert.equal(waiting.recreateStatefulSet, false);
  // Bound at its old size: now it is patched like any other.
  const bound = resizePlan(
    resize({ claims: [...accepted.slice(0, 2), { ...mixed[2]!, capacity: "10Gi" }] }),
  );
  assert.deepEqual(bound.patch, ["data-orders-2"]);
  assert.deepEqual(bound.waitingToBind, []);
  // Created from a template already at the new size: nothing to wait for.
  const fresh = resizePlan(resize({
    claims: [...claims("20Gi", "10Gi", 2), { ...mixed[2]!, request: "20Gi" }],
  }));
  assert.deepEqual(fresh.waitingToBind, []);
  assert.equal(fresh.recreateStatefulSet, true);
});

function job(
  name: string,
  start: string,
  outcome: "Complete" | "Failed" | "running",
  end?: string,
): LiveJob {
  return {
    metadata: { name },
    status: {
      startTime: start,
      ...(end === undefined ? {} : { completionTime: end }),
      conditions: outcome === "running" ? [] : [{
        type: outcome,
        status: "True",
        reason: outcome === "Failed" ? "BackoffLimitExceeded" : "",
        message: outcome === "Failed" ? "Job has reached the specified backoff limit" : "",
      }],
    },
  };
}

Deno.test("backup state: lastBackupTime from the newest successful Job, never moving back", () => {
  const jobs = [
    job("b-1", "2026-12-01T01:00:00Z", "Complete", "2026-12-01T01:00:30Z"),
    job("b-2", "2026-12-01T02:00:00Z", "Complete", "2026-12-01T02:00:30Z"),
    job("b-3", "2026-12-01T03:00:00Z", "running"),
  ];
  assert.deepEqual(backupState(jobs, undefined), {
    lastBackupTime: "2026-12-01T02:00:30Z",
    failed: undefined,
  });
  // History limits deleted the Jobs: the status keeps what it knew.
  assert.equal(backupState([], "2026-12-01T02:00:30Z").lastBackupTime, "2026-12-01T02:00:30Z");
  assert.equal(
    backupState(jobs.slice(0, 1), "2026-12-01T02:00:30Z").lastBackupTime,
    "2026-12-01T02:00:30Z",
  );
});

Deno.test("backup state: failed while the newest finished Job failed, cleared by a later success", () => {
  const failed = job("b-2", "2026-12-01T02:00:00Z", "Failed");
  const state = backupState([
    job("b-1", "2026-12-01T01:00:00Z", "Complete", "2026-12-01T01:00:30Z"),
    failed,
  ], undefined);
  assert.equal(state.lastBackupTime, "2026-12-01T01:00:30Z");
  assert.equal(state.failed?.job, "b-2");
  assert.match(state.failed!.message, /b-2 failed: BackoffLimitExceeded/);
  const later = backupState([
    failed,
    job("b-3", "2026-12-01T03:00:00Z", "Complete", "2026-12-01T03:00:09Z"),
  ], undefined);
  assert.equal(later.failed, undefined);
});

Deno.test("config diff names changed, added and removed parameters, never values", () => {
  const before = {
    "vigil.conf": "# header\nmax_connections = 100\nwork_mem = '4MB'\nshared_buffers = '128MB'\n",
  };
  const after = {
    "vigil.conf": "# header\nmax_connections = 200\nwork_mem = '4MB'\nstatement_timeout = '30s'\n",
  };
  assert.deepEqual(changedConfigKeys(before, after), [
    "max_connections",
    "shared_buffers",
    "statement_timeout",
  ]);
  assert.deepEqual(changedConfigKeys(after, after), []);
  const mysql = { "my.cnf": "# h\n[mysqld]\nmax_connections = 100\n" };
  assert.deepEqual(
    changedConfigKeys(mysql, { "my.cnf": "# h\n[mysqld]\nmax_connections = 151\n" }),
    ["max_connections"],
  );
});

const START = {
  currentVersion: "16.9",
  version: "16.9",
  oldConfigHash: "a",
  newConfigHash: "a",
  changedKeys: [],
  firstPod: "orders-2",
  previousDegradedReason: "AsExpected",
};

Deno.test("rollout start events: upgrade, config change with keys (no values), rollback, anything else", () => {
  assert.deepEqual(rolloutStartEvents({ ...START, version: "17.5" }).map((e) => e.reason), [
    "UpgradeStarted",
  ]);
  assert.match(
    rolloutStartEvents({ ...START, version: "17.5" })[0]!.message,
    /from 16\.9 to 17\.5.*orders-2 first/,
  );
  const config = rolloutStartEvents({
    ...START,
    newConfigHash: "b",
    changedKeys: ["max_connections"],
  });
  assert.deepEqual(config.map((e) => e.reason), ["ConfigChanged"]);
  assert.match(config[0]!.message, /\(max_connections\)/);
  assert.deepEqual(
    rolloutStartEvents({ ...START, previousDegradedReason: "UpgradeFailed" }).map((e) => e.reason),
    ["RollbackStarted"],
  );
  assert.deepEqual(rolloutStartEvents(START).map((e) => e.reason), ["RolloutStarted"]);
});

function status(
  o: Partial<DatabaseStatus>,
  conditions: Array<[string, string, string, string?]> = [],
): DatabaseStatus {
  return {
    ...o,
    conditions: conditions.map(([type, s, reason, message]) => ({
      type,
      status: s as "True" | "False",
      reason,
      message: message ?? reason,
      lastTransitionTime: "2026-12-01T00:00:00Z",
    })),
  };
}

Deno.test("status transitions give each event once: completed, failed, resized, backup failed", () => {
  const reasons = (a: DatabaseStatus | undefined, b: DatabaseStatus) =>
    statusTransitionEvents(a, b).map((e) => `${e.type} ${e.reason}`);
  assert.deepEqual(
    reasons(status({ currentVersion: "16.9" }), status({ currentVersion: "17.5" })),
    ["Normal UpgradeCompleted"],
  );
  assert.deepEqual(reasons(undefined, status({ currentVersion: "17.5" })), []);
  const stopped = status({}, [["Degraded", "True", "UpgradeFailed", "orders-2 …"]]);
  assert.deepEqual(reasons(status({}, [["Degraded", "False", "AsExpected"]]), stopped), [
    "Warning UpgradeFailed",
  ]);
  assert.deepEqual(reasons(stopped, stopped), []);
  const blocked = status({}, [["Degraded", "True", "StorageExpansionNotSupported"]]);
  assert.deepEqual(reasons(status({}), blocked), ["Warning StorageExpansionNotSupported"]);
  assert.deepEqual(reasons(blocked, blocked), []);
  const resizing = status({}, [["Resizing", "True", "ExpandingVolumes"]]);
  const resized = status({}, [["Resizing", "False", "StorageResized", "All volumes at 20Gi"]]);
  assert.deepEqual(reasons(resizing, resized), ["Normal StorageResized"]);
  assert.deepEqual(reasons(resized, resized), []);
  const backupFailed = status({}, [["BackupFailed", "True", "JobFailed", "Backup Job b-2 failed"]]);
  assert.deepEqual(reasons(status({}), backupFailed), ["Warning BackupFailed"]);
  assert.deepEqual(reasons(backupFailed, backupFailed), []);
  const nextFailure = status({}, [["BackupFailed", "True", "JobFailed", "Backup Job b-3 failed"]]);
  assert.deepEqual(reasons(backupFailed, nextFailure), ["Warning BackupFailed"]);
});
