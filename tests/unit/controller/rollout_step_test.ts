import assert from "node:assert/strict";
import {
  formatDuration,
  nextRolloutStep,
  type RolloutObservation,
  type RolloutPod,
  type RolloutStatefulSet,
} from "../../../src/controller/rollout_step.ts";

const NOW = 1_000_000_000;
const TIMEOUT = 300_000;

function pod(ordinal: number, revision: string, ready = true, o: Partial<RolloutPod> = {}) {
  return {
    name: `orders-${ordinal}`,
    uid: `uid-${ordinal}-${revision}`,
    ordinal,
    revision,
    ready,
    terminating: false,
    notReadySinceMs: NOW - 1_000,
    ...o,
  } satisfies RolloutPod;
}

function sts(partition: number, o: Partial<RolloutStatefulSet> = {}): RolloutStatefulSet {
  return {
    partition,
    generation: 4,
    observedGeneration: 4,
    updateRevision: "new",
    currentRevision: "old",
    terminating: false,
    ...o,
  };
}

function observe(o: Partial<RolloutObservation>): RolloutObservation {
  return {
    replicas: 3,
    statefulSet: sts(0),
    templateChanged: false,
    pods: [],
    nowMs: NOW,
    readyTimeoutMs: TIMEOUT,
    ...o,
  };
}

Deno.test("a Database without a StatefulSet creates it unpartitioned", () => {
  assert.deepEqual(nextRolloutStep(observe({ statefulSet: undefined })), {
    type: "idle",
    partition: 0,
  });
});

Deno.test("a new template starts at the highest ordinal, whatever the partition was", () => {
  for (const partition of [0, 1, 2]) {
    const step = nextRolloutStep(observe({ templateChanged: true, statefulSet: sts(partition) }));
    assert.deepEqual(step, { type: "start", partition: 2 });
  }
  const one = nextRolloutStep(observe({ replicas: 1, templateChanged: true }));
  assert.deepEqual(one, { type: "start", partition: 0 });
});

Deno.test("an upgrade goes 2 → 1 → 0, each step only once the replica above is Ready on the new revision", () => {
  const old = [pod(0, "old"), pod(1, "old"), pod(2, "old")];
  // The StatefulSet controller has not replaced ordinal 2 yet: it is Ready on the old revision.
  let step = nextRolloutStep(observe({ statefulSet: sts(2), pods: old }));
  assert.equal(step.type, "wait");
  assert.equal(step.partition, 2);
  // Ordinal 2 recreated on the new revision, not Ready yet: wait, with the deadline.
  step = nextRolloutStep(observe({
    statefulSet: sts(2),
    pods: [pod(0, "old"), pod(1, "old"), pod(2, "new", false)],
  }));
  assert.deepEqual(step, {
    type: "wait",
    partition: 2,
    waitingFor: "orders-2 to be Ready",
    recheckAfterMs: TIMEOUT - 1_000,
  });
  // Ready: ordinal 1 may go.
  step = nextRolloutStep(observe({
    statefulSet: sts(2),
    pods: [pod(0, "old"), pod(1, "old"), pod(2, "new")],
  }));
  assert.deepEqual(step, { type: "advance", partition: 1 });
  step = nextRolloutStep(observe({
    statefulSet: sts(1),
    pods: [pod(0, "old"), pod(1, "new"), pod(2, "new")],
  }));
  assert.deepEqual(step, { type: "advance", partition: 0 });
  // Everything on the new revision and Ready: done.
  step = nextRolloutStep(observe({
    statefulSet: sts(0, { currentRevision: "new" }),
    pods: [pod(0, "new"), pod(1, "new"), pod(2, "new")],
  }));
  assert.deepEqual(step, { type: "idle", partition: 0 });
});

Deno.test("the partition never drops while another replica is unavailable", () => {
  const step = nextRolloutStep(observe({
    statefulSet: sts(2),
    pods: [pod(0, "old", false), pod(1, "old"), pod(2, "new")],
  }));
  assert.equal(step.type, "wait");
  assert.equal(step.partition, 2);
  // But a next replica that is not Ready anyway may go: it costs no availability.
  const broken = nextRolloutStep(observe({
    statefulSet: sts(2),
    pods: [pod(0, "old", false), pod(1, "old", false), pod(2, "new")],
  }));
  assert.deepEqual(broken, { type: "advance", partition: 1 });
});

Deno.test("replicas already on the update revision are skipped in one step", () => {
  const step = nextRolloutStep(observe({
    statefulSet: sts(2),
    pods: [pod(0, "old"), pod(1, "new"), pod(2, "new")],
  }));
  assert.deepEqual(step, { type: "advance", partition: 0 });
});

Deno.test("nothing is decided before the StatefulSet controller has observed the change", () => {
  const step = nextRolloutStep(observe({
    statefulSet: sts(2, { observedGeneration: 3 }),
    pods: [pod(0, "old"), pod(1, "old"), pod(2, "new")],
  }));
  assert.equal(step.type, "wait");
  assert.equal(step.partition, 2);
});

Deno.test("a replica not Ready within the bound stops the rollout, naming what the kubelet saw", () => {
  const pods = [
    pod(0, "old"),
    pod(1, "old"),
    pod(2, "new", false, {
      notReadySinceMs: NOW - TIMEOUT,
      waitingReason: "ImagePullBackOff",
    }),
  ];
  assert.deepEqual(nextRolloutStep(observe({ statefulSet: sts(2), pods })), {
    type: "stuck",
    partition: 2,
    stuck: { pod: "orders-2", seen: "ImagePullBackOff" },
  });
  const silent = [pod(0, "old"), pod(1, "old"), pod(2, "new", false, { notReadySinceMs: 0 })];
  assert.deepEqual(nextRolloutStep(observe({ statefulSet: sts(2), pods: silent })), {
    type: "stuck",
    partition: 2,
    stuck: { pod: "orders-2", seen: "not Ready after 5m" },
  });
});

Deno.test("a stuck rollout stays stuck: the same observation gives the same step", () => {
  const o = observe({
    statefulSet: sts(2),
    pods: [pod(0, "old"), pod(1, "old"), pod(2, "new", false, { notReadySinceMs: 0 })],
  });
  const first = nextRolloutStep(o);
  for (let i = 1; i < 5; i++) {
    assert.deepEqual(nextRolloutStep({ ...o, nowMs: NOW + i * 60_000 }), first);
  }
});

Deno.test("a replica that fails after its rollout completed does not stop anything", () => {
  const step = nextRolloutStep(observe({
    statefulSet: sts(0, { currentRevision: "new" }),
    pods: [pod(0, "new"), pod(1, "new", false, { notReadySinceMs: 0 }), pod(2, "new")],
  }));
  assert.equal(step.type, "wait");
  assert.equal("recheckAfterMs" in step, false);
});

Deno.test("rollback: the template set back starts again at the top and the broken replica is replaced", () => {
  // spec.version set back: the desired template differs from the live (broken) one.
  const broken = [
    pod(0, "old"),
    pod(1, "old"),
    pod(2, "broken", false, { notReadySinceMs: 0 }),
  ];
  assert.deepEqual(
    nextRolloutStep(
      observe({
        statefulSet: sts(2, { updateRevision: "broken" }),
        templateChanged: true,
        pods: broken,
      }),
    ),
    { type: "start", partition: 2 },
  );
  // The old template applied: its revision is the update revision again, and
  // the broken pod is on neither: delete it.
  const back = sts(2, { updateRevision: "old", currentRevision: "old" });
  assert.deepEqual(nextRolloutStep(observe({ statefulSet: back, pods: broken })), {
    type: "replace",
    partition: 2,
    pod: "orders-2",
    uid: "uid-2-broken",
  });
  // Being deleted: wait.
  const deleting = [pod(0, "old"), pod(1, "old"), { ...broken[2]!, terminating: true }];
  assert.equal(nextRolloutStep(observe({ statefulSet: back, pods: deleting })).type, "wait");
  // Recreated on the old revision and Ready: the rest is already there.
  const healed = [pod(0, "old"), pod(1, "old"), pod(2, "old")];
  assert.deepEqual(nextRolloutStep(observe({ statefulSet: back, pods: healed })), {
    type: "idle",
    partition: 0,
  });
});

Deno.test("a Ready pod on an old revision is left to the StatefulSet controller", () => {
  const step = nextRolloutStep(observe({
    statefulSet: sts(2),
    pods: [pod(0, "old"), pod(1, "old"), pod(2, "older")],
  }));
  assert.equal(step.type, "wait");
});

Deno.test("a StatefulSet being recreated (storage growth) holds its partition", () => {
  const step = nextRolloutStep(observe({ statefulSet: sts(1, { terminating: true }) }));
  assert.equal(step.type, "wait");
  assert.equal(step.partition, 1);
});

Deno.test("scaling down below the partition lowers it to the replicas that remain", () => {
  const step = nextRolloutStep(observe({
    replicas: 1,
    statefulSet: sts(2),
    pods: [pod(0, "old"), pod(1, "old"), pod(2, "new")],
  }));
  assert.equal(step.partition, 0);
});

Deno.test("a new replica of a scale-up during a rollout is waited for like any other", () => {
  const step = nextRolloutStep(observe({
    replicas: 4,
    statefulSet: sts(2),
    pods: [pod(0, "old"), pod(1, "old"), pod(2, "new")],
  }));
  assert.equal(step.type, "wait");
  assert.match((step as { waitingFor: string }).waitingFor, /replica 3/);
});

Deno.test("durations in rollout messages are formatted shortest", () => {
  assert.equal(formatDuration(300_000), "5m");
  assert.equal(formatDuration(90_000), "1m30s");
  assert.equal(formatDuration(20_000), "20s");
  assert.equal(formatDuration(3_600_000), "1h");
});
