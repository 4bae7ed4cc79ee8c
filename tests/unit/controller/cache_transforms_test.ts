import assert from "node:assert/strict";
import { slimJob, slimPod } from "../../../src/controller/cache_transforms.ts";
import { type LivePod, rolloutPod } from "../../../src/controller/observed_kinds.ts";
import { backupState } from "../../../src/controller/backup_status.ts";
import type { KubeObject } from "../../../src/runtime/mod.ts";

/** A pod as the apiserver serves it (trimmed from a real kwok pod of the plane). */
function pod(): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "orders-1",
      namespace: "shop",
      uid: "p1",
      creationTimestamp: "2026-12-01T00:00:00Z",
      labels: { "app.kubernetes.io/instance": "orders", "controller-revision-hash": "orders-5d" },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "StatefulSet", name: "orders", uid: "s" }],
      managedFields: [{ manager: "kube-controller-manager", fieldsV1: { "f:spec": {} } }],
    },
    spec: {
      containers: [{
        name: "postgres",
        image: "postgres:17.5",
        env: Array.from({ length: 12 }, (_, i) => ({ name: `E${i}`, value: "x".repeat(40) })),
      }],
      volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data-orders-1" } }],
    },
    status: {
      phase: "Running",
      hostIP: "10.0.0.1",
      podIPs: [{ ip: "10.244.0.5" }],
      conditions: [
        { type: "Ready", status: "False", lastTransitionTime: "2026-12-01T00:01:00Z", reason: "x" },
      ],
      containerStatuses: [{
        name: "postgres",
        ready: false,
        image: "postgres:17.5",
        imageID: "docker-pullable://postgres@sha256:abc",
        restartCount: 3,
        state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s" } },
        lastState: { terminated: { reason: "Error", exitCode: 1 } },
      }],
    },
  } as KubeObject;
}

Deno.test("a slimmed pod reads the same to the rollout as the whole pod, without its spec", () => {
  const whole = pod();
  const slim = slimPod(structuredClone(whole));
  assert.deepEqual(rolloutPod(slim as LivePod, "orders"), rolloutPod(whole as LivePod, "orders"));
  assert.equal((slim as { spec?: unknown }).spec, undefined);
  assert.equal(slim.metadata?.managedFields, undefined);
  assert.deepEqual(slim.metadata?.labels, whole.metadata?.labels);
  assert.ok(JSON.stringify(slim).length < JSON.stringify(whole).length / 2);
});

Deno.test("a slimmed Job keeps what backup status reads, not its pod template", () => {
  const job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: "orders-backup-1",
      namespace: "shop",
      creationTimestamp: "2026-12-01T03:00:00Z",
    },
    spec: { template: { spec: { containers: [{ name: "backup", image: "postgres:17.5" }] } } },
    status: {
      startTime: "2026-12-01T03:00:01Z",
      completionTime: "2026-12-01T03:00:10Z",
      conditions: [{
        type: "Complete",
        status: "True",
        lastTransitionTime: "2026-12-01T03:00:10Z",
      }],
    },
  } as KubeObject;
  const slim = slimJob(structuredClone(job));
  assert.equal((slim as { spec?: unknown }).spec, undefined);
  assert.deepEqual(backupState([slim], undefined), backupState([job], undefined));
});
