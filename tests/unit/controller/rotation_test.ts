import assert from "node:assert/strict";
import { nextRotationStep, type RotationObservation } from "../../../src/controller/mod.ts";
import {
  CREDENTIALS_ROTATION_ANNOTATION,
  pendingSecretName,
  ROTATE_ANNOTATION,
  ROTATION_TOKEN_ANNOTATION,
  rotationJob,
  rotationJobName,
  rotationScript,
  secretValue,
} from "../../../src/controller/desired/mod.ts";
import type { DefaultedDatabaseV1 } from "../../../src/database/mod.ts";
import type { KubeObject } from "../../../src/runtime/mod.ts";
import { world } from "./_world.ts";

function observe(o: Partial<RotationObservation>): RotationObservation {
  return {
    requested: undefined,
    answered: undefined,
    pending: undefined,
    job: "absent",
    leftovers: false,
    otherJobRunning: false,
    ...o,
  };
}

Deno.test("rotation step: pending Secret, Job, promote on success, then clean up", () => {
  assert.deepEqual(nextRotationStep(observe({})), { type: "none" });
  const r = "2026-12-01";
  assert.deepEqual(nextRotationStep(observe({ requested: r })), {
    type: "createPending",
    request: r,
  });
  assert.deepEqual(nextRotationStep(observe({ requested: r, pending: r })), {
    type: "createJob",
    request: r,
  });
  assert.equal(
    nextRotationStep(observe({ requested: r, pending: r, job: "running" })).type,
    "wait",
  );
  assert.equal(
    nextRotationStep(observe({ requested: r, pending: r, job: "succeeded" })).type,
    "promote",
  );
  assert.equal(
    nextRotationStep(observe({ requested: r, pending: r, job: "failed" })).type,
    "failed",
  );
  assert.deepEqual(nextRotationStep(observe({ requested: r, answered: r, leftovers: true })), {
    type: "cleanup",
  });
  assert.deepEqual(nextRotationStep(observe({ requested: r, answered: r })), { type: "none" });
});

Deno.test("rotation step: a new request replaces an older pending password, but not under a running Job", () => {
  const step = nextRotationStep(observe({ requested: "b", answered: "a", pending: "old" }));
  assert.deepEqual(step, { type: "createPending", request: "b" });
  const busy = nextRotationStep(observe({ requested: "b", pending: "old", otherJobRunning: true }));
  assert.equal(busy.type, "wait");
});

const DB = {
  apiVersion: "vigil.dev/v1",
  kind: "Database",
  metadata: { name: "orders", namespace: "shop", uid: "u" },
  spec: {
    engine: "postgres",
    version: "17.5",
    replicas: 3,
    storageSize: "1Gi",
    pvcDeletionPolicy: "Retain",
  },
} as DefaultedDatabaseV1;

Deno.test("the rotation Job carries no password: both come from Secrets, the statement on stdin", () => {
  const job = rotationJob(DB, "r1");
  const text = JSON.stringify(job);
  assert.match(text, /"secretKeyRef":\{"name":"orders-credentials","key":"password"\}/);
  assert.match(text, /"secretKeyRef":\{"name":"orders-credentials-next","key":"password"\}/);
  assert.equal(job.metadata.name, rotationJobName(DB, "r1"));
  assert.notEqual(rotationJobName(DB, "r1"), rotationJobName(DB, "r2"));
  const script = rotationScript(DB);
  assert.match(script, /for i in \$\(seq 0 \$\(\(REPLICAS - 1\)\)\)/);
  assert.match(script, /orders-\$i\.orders-headless/);
  assert.match(script, /ALTER ROLE app PASSWORD/);
  assert.doesNotMatch(script, /psql[^|\n]*\$NEW_PASSWORD[^"]/, "never as a psql argument");
  const mysql = rotationScript({ ...DB, spec: { ...DB.spec, engine: "mysql" } });
  assert.match(mysql, /ALTER USER USER\(\) IDENTIFIED BY/);
  assert.match(mysql, /--defaults-extra-file=\/tmp\/old\.cnf/);
});

function secret(w: ReturnType<typeof world>, name = "orders-credentials"): KubeObject | undefined {
  return w.owned.get("Secret")!.reader().get(`shop/${name}`);
}

function completeJob(w: ReturnType<typeof world>, request: string, type: "Complete" | "Failed") {
  const name = rotationJobName(
    w.databases.reader().get("shop/orders") as DefaultedDatabaseV1,
    request,
  );
  const jobs = w.owned.get("Job")!;
  const job = jobs.reader().get(`shop/${name}`)!;
  jobs.apply({
    ...structuredClone(job),
    status: { conditions: [{ type, status: "True" }] },
  });
}

Deno.test("a rotation request: pending Secret, Job, then the Secret changes once and the pods roll; cleanup after", async () => {
  const w = world();
  w.addDatabase({ replicas: 3 });
  await w.run();
  const before = secretValue(secret(w), "password")!;
  const db = structuredClone(w.databases.reader().get("shop/orders")!);
  w.databases.apply({
    ...db,
    metadata: { ...db.metadata, annotations: { [ROTATE_ANNOTATION]: "2026-12-01" } },
  });
  await w.run();
  const pending = secret(w, pendingSecretName(db as DefaultedDatabaseV1));
  const next = secretValue(pending, "password")!;
  assert.ok(next !== undefined && next !== before);
  assert.equal(secretValue(secret(w), "password"), before, "not before the engine has it");
  await w.run();
  assert.ok(w.owned.get("Job")!.reader().list().length === 1, "the Job");
  assert.ok(w.events.includes("Normal CredentialsRotationStarted"));
  // Running: nothing changes.
  const calls = w.calls.length;
  await w.run();
  assert.deepEqual(w.calls.slice(calls), []);
  completeJob(w, "2026-12-01", "Complete");
  await w.run();
  const rotated = secret(w)!;
  assert.equal(secretValue(rotated, "password"), next);
  assert.equal(rotated.metadata?.annotations?.[ROTATION_TOKEN_ANNOTATION], "2026-12-01");
  const sts = w.owned.get("StatefulSet")!.reader().get("shop/orders") as KubeObject & {
    spec: { template: { metadata: { annotations: Record<string, string> } } };
  };
  assert.equal(
    sts.spec.template.metadata.annotations[CREDENTIALS_ROTATION_ANNOTATION],
    "2026-12-01",
  );
  assert.ok(w.events.includes("Normal CredentialsRotated"));
  // Answered: the pending Secret and the Job go; then nothing more.
  await w.run();
  assert.equal(secret(w, pendingSecretName(db as DefaultedDatabaseV1)), undefined);
  assert.equal(w.owned.get("Job")!.reader().list().length, 0);
  const settled = w.calls.length;
  await w.run();
  await w.run();
  assert.deepEqual(w.calls.slice(settled).filter((c) => c.kind === "Secret"), []);
  assert.equal(secretValue(secret(w), "password"), next, "changed once");
});

Deno.test("a failed rotation Job keeps the old password and reports once", async () => {
  const w = world();
  w.addDatabase({ replicas: 1 });
  await w.run();
  const before = secretValue(secret(w), "password");
  const db = structuredClone(w.databases.reader().get("shop/orders")!);
  w.databases.apply({
    ...db,
    metadata: { ...db.metadata, annotations: { [ROTATE_ANNOTATION]: "x" } },
  });
  await w.run();
  await w.run();
  completeJob(w, "x", "Failed");
  await w.run();
  await w.run();
  assert.equal(secretValue(secret(w), "password"), before);
  const status = w.databases.reader().get("shop/orders")!.status as {
    conditions: Array<{ type: string; reason: string }>;
  };
  assert.equal(
    status.conditions.find((c) => c.type === "Degraded")?.reason,
    "CredentialsRotationFailed",
  );
  assert.deepEqual(w.events.filter((e) => e.startsWith("Warning")), [
    "Warning CredentialsRotationFailed",
  ]);
});
