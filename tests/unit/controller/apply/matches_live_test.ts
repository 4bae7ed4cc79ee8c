import assert from "node:assert/strict";
import {
  APPLIED_HASH_ANNOTATION,
  appliedHash,
  matchesLive,
  withAppliedHash,
} from "../../../../src/controller/apply/mod.ts";
import type { KubeObject } from "../../../../src/runtime/mod.ts";
import {
  clientService,
  deepFreeze,
  podDisruptionBudget,
  realisticObjects,
  secret,
  statefulSet,
} from "./_objects.ts";

/** Test fixtures are edited freely by path; the shapes are checked by the assertions. */
// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

const NS = "shop";

/** What the apiserver answers for the fixture StatefulSet: defaults, canonical quantities, status. */
function defaultedStatefulSet(desired: KubeObject): Json {
  const live = structuredClone(desired) as Json;
  Object.assign(live.metadata, {
    uid: "a8f5f167-f44f-4964-a1c4-7b3a8f5f1670",
    resourceVersion: "4711",
    generation: 1,
    creationTimestamp: "2026-11-22T10:00:00Z",
  });
  Object.assign(live.spec, {
    revisionHistoryLimit: 10,
    updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
  });
  const pod = live.spec.template.spec;
  Object.assign(pod, {
    restartPolicy: "Always",
    dnsPolicy: "ClusterFirst",
    schedulerName: "default-scheduler",
  });
  pod.volumes[0].configMap.defaultMode = 420;
  const container = pod.containers[0];
  Object.assign(container, {
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
    imagePullPolicy: "IfNotPresent",
  });
  container.ports[0].protocol = "TCP";
  container.resources.requests = { cpu: "500m", memory: "1536Mi" };
  for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) {
    probe.successThreshold = 1;
    probe.timeoutSeconds ??= 1;
  }
  for (const env of container.env) {
    if (env.valueFrom) env.valueFrom.secretKeyRef.optional = undefined;
  }
  live.spec.volumeClaimTemplates[0] = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    ...live.spec.volumeClaimTemplates[0],
    status: { phase: "Pending" },
  };
  live.spec.volumeClaimTemplates[0].spec.volumeMode = "Filesystem";
  live.status = { replicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1 };
  return deepFreeze(live);
}

function edited(live: Json, edit: (copy: Json) => void): Json {
  const copy = structuredClone(live);
  edit(copy);
  return deepFreeze(copy);
}

const desiredSts = deepFreeze(withAppliedHash(statefulSet(NS)));
const liveSts = defaultedStatefulSet(desiredSts);

Deno.test("matchesLive is false when there is no live object", () => {
  assert.equal(matchesLive(desiredSts, undefined), false);
});

Deno.test("fields the apiserver defaults, and status, are no mismatch", () => {
  assert.equal(matchesLive(desiredSts, liveSts), true);
});

Deno.test("labels and annotations another manager added are no mismatch", () => {
  const live = edited(liveSts, (l) => {
    l.metadata.labels["team"] = "payments";
    l.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] = "{}";
    l.spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"] = "now";
  });
  assert.equal(matchesLive(desiredSts, live), true);
});

Deno.test("a kubectl edit of replicas or of the image is a mismatch", () => {
  assert.equal(matchesLive(desiredSts, edited(liveSts, (l) => l.spec.replicas = 3)), false);
  const image = edited(liveSts, (l) => l.spec.template.spec.containers[0].image = "postgres:16");
  assert.equal(matchesLive(desiredSts, image), false);
});

Deno.test("a changed label value Vigil sets is a mismatch", () => {
  const live = edited(liveSts, (l) => l.metadata.labels["app.kubernetes.io/managed-by"] = "helm");
  assert.equal(matchesLive(desiredSts, live), false);
});

Deno.test("a field Vigil stopped setting is a mismatch through the applied hash", () => {
  const before = withAppliedHash(statefulSet(NS));
  const live = defaultedStatefulSet(before);
  const after = structuredClone(statefulSet(NS)) as Json;
  delete after.spec.persistentVolumeClaimRetentionPolicy;
  // Every field of `after` is still in `live`: only the hash tells them apart.
  assert.equal(matchesLive(withAppliedHash(after), live), false);
});

Deno.test("a live object without the applied hash is a mismatch", () => {
  const live = edited(liveSts, (l) => delete l.metadata.annotations[APPLIED_HASH_ANNOTATION]);
  assert.equal(matchesLive(desiredSts, live), false);
});

Deno.test("a desired object without the annotation is compared with its computed hash", () => {
  const bare = deepFreeze(statefulSet(NS));
  assert.equal(matchesLive(bare, liveSts), true);
  const other = edited(liveSts, (l) => l.metadata.annotations[APPLIED_HASH_ANNOTATION] = "0");
  assert.equal(matchesLive(bare, other), false);
});

Deno.test("an env var another manager added to the container is no mismatch", () => {
  const live = edited(liveSts, (l) => {
    l.spec.template.spec.containers[0].env.unshift({ name: "TZ", value: "UTC" });
  });
  assert.equal(matchesLive(desiredSts, live), true);
});

Deno.test("a sidecar container another manager added is no mismatch", () => {
  const live = edited(liveSts, (l) => {
    l.spec.template.spec.containers.push({ name: "exporter", image: "exporter:1" });
  });
  assert.equal(matchesLive(desiredSts, live), true);
});

Deno.test("a desired env var missing from live is a mismatch", () => {
  const live = edited(liveSts, (l) => l.spec.template.spec.containers[0].env.pop());
  assert.equal(matchesLive(desiredSts, live), false);
});

Deno.test("named list items match by name whatever their order", () => {
  const live = edited(liveSts, (l) => l.spec.template.spec.containers[0].env.reverse());
  assert.equal(matchesLive(desiredSts, live), true);
});

Deno.test("a changed value inside a named list item is a mismatch", () => {
  const live = edited(liveSts, (l) => {
    l.spec.template.spec.containers[0].env[3].value = "/elsewhere";
  });
  assert.equal(matchesLive(desiredSts, live), false);
});

Deno.test("owner references match by uid, and an extra owner reference is no mismatch", () => {
  const extra = edited(liveSts, (l) => {
    l.metadata.ownerReferences.unshift({ apiVersion: "v1", kind: "X", name: "x", uid: "other" });
  });
  assert.equal(matchesLive(desiredSts, extra), true);
  const replaced = edited(liveSts, (l) => l.metadata.ownerReferences[0].uid = "another-uid");
  assert.equal(matchesLive(desiredSts, replaced), false);
  const notController = edited(liveSts, (l) => l.metadata.ownerReferences[0].controller = false);
  assert.equal(matchesLive(desiredSts, notController), false);
});

Deno.test("args and command compare in order and with the same length", () => {
  const container = (l: Json) => l.spec.template.spec.containers[0];
  const longer = edited(liveSts, (l) => container(l).args.push("-c", "x=1"));
  assert.equal(matchesLive(desiredSts, longer), false);
  const reordered = edited(liveSts, (l) => container(l).args.reverse());
  assert.equal(matchesLive(desiredSts, reordered), false);
  const probe = edited(liveSts, (l) => container(l).readinessProbe.exec.command.pop());
  assert.equal(matchesLive(desiredSts, probe), false);
});

Deno.test("an extra toleration in an atomic list is a mismatch", () => {
  const desired = deepFreeze(
    withAppliedHash(podWith({ tolerations: [{ key: "a", operator: "Exists" }] })),
  );
  const live = edited(desired, (l) => l.spec.tolerations.push({ key: "b", operator: "Exists" }));
  assert.equal(matchesLive(desired, live), false);
});

Deno.test("quantities under resources match by value: 0.5 is 500m, 1.5Gi is 1536Mi", () => {
  // liveSts already carries the canonical forms the apiserver stores.
  assert.equal(liveSts.spec.template.spec.containers[0].resources.requests.cpu, "500m");
  assert.equal(matchesLive(desiredSts, liveSts), true);
  const claim = edited(liveSts, (l) => {
    l.spec.volumeClaimTemplates[0].spec.resources.requests.storage = "10240Mi";
  });
  assert.equal(matchesLive(desiredSts, claim), true);
  const bigger = edited(liveSts, (l) => {
    l.spec.template.spec.containers[0].resources.limits.memory = "3Gi";
  });
  assert.equal(matchesLive(desiredSts, bigger), false);
});

Deno.test("a number quantity in desired matches its string form in live", () => {
  const desired = deepFreeze(withAppliedHash(podWith({
    containers: [{ name: "c", resources: { limits: { cpu: 2 } }, image: "i" }],
  })));
  const live = edited(desired, (l) => l.spec.containers[0].resources.limits.cpu = "2");
  assert.equal(matchesLive(desired, live), true);
  const other = edited(desired, (l) => l.spec.containers[0].resources.limits.cpu = "2001m");
  assert.equal(matchesLive(desired, other), false);
});

Deno.test("quantity-looking strings outside resources compare exactly", () => {
  const desired = deepFreeze(withAppliedHash({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c", namespace: NS, labels: { size: "1Gi" } },
    data: { size: "1Gi" },
  }));
  assert.equal(matchesLive(desired, edited(desired, (l) => l.data.size = "1024Mi")), false);
  const label = edited(desired, (l) => l.metadata.labels.size = "1024Mi");
  assert.equal(matchesLive(desired, label), false);
});

Deno.test("false, 0, empty strings, lists and maps match a field the apiserver omitted", () => {
  const desired = deepFreeze(withAppliedHash(podWith({
    hostNetwork: false,
    containers: [{
      name: "c",
      image: "i",
      env: [{ name: "EMPTY", value: "" }],
      stdin: false,
      args: [],
      securityContext: { privileged: false },
      readinessProbe: { exec: { command: ["true"] }, initialDelaySeconds: 0 },
    }],
  })));
  const live = edited(desired, (l) => {
    delete l.spec.hostNetwork;
    const c = l.spec.containers[0];
    delete c.env[0].value;
    delete c.stdin;
    delete c.args;
    delete c.securityContext;
    delete c.readinessProbe.initialDelaySeconds;
  });
  assert.equal(matchesLive(desired, live), true);
});

Deno.test("allowPrivilegeEscalation: false does not match an absent field (absent means true)", () => {
  const live = edited(liveSts, (l) => {
    delete l.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation;
  });
  assert.equal(matchesLive(desiredSts, live), false);
  const token = edited(liveSts, (l) => delete l.spec.template.spec.automountServiceAccountToken);
  assert.equal(matchesLive(desiredSts, token), false);
});

Deno.test("null in desired states nothing", () => {
  const desired = deepFreeze(withAppliedHash({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c", namespace: NS, creationTimestamp: null },
    data: { a: "1" },
  }));
  const live = edited(desired, (l) => l.metadata.creationTimestamp = "2026-11-22T10:00:00Z");
  assert.equal(matchesLive(desired, live), true);
});

Deno.test("volume mounts of one volume at two paths each need their own live mount", () => {
  const mounts = [
    { name: "config", mountPath: "/etc/a.conf", subPath: "a.conf" },
    { name: "config", mountPath: "/etc/b.conf", subPath: "b.conf" },
  ];
  const desired = deepFreeze(withAppliedHash(podWith({
    containers: [{ name: "c", image: "i", volumeMounts: mounts }],
  })));
  assert.equal(matchesLive(desired, edited(desired, () => {})), true);
  const one = edited(desired, (l) => l.spec.containers[0].volumeMounts.pop());
  assert.equal(matchesLive(desired, one), false);
});

Deno.test("claim templates match by metadata.name", () => {
  const renamed = edited(liveSts, (l) => l.spec.volumeClaimTemplates[0].metadata.name = "pgdata");
  assert.equal(matchesLive(desiredSts, renamed), false);
});

Deno.test("unnamed Service ports match by port and protocol", () => {
  const desired = deepFreeze(withAppliedHash({
    ...clientService(NS),
    spec: { selector: { a: "b" }, ports: [{ port: 5432 }, { port: 9187 }] },
  }));
  const live = edited(desired, (l) => {
    l.spec.ports.reverse();
    l.spec.ports.push({ port: 8080, protocol: "TCP" });
    for (const p of l.spec.ports) p.protocol = "TCP";
  });
  assert.equal(matchesLive(desired, live), true);
  const changed = edited(desired, (l) => l.spec.ports[1].port = 9188);
  assert.equal(matchesLive(desired, changed), false);
});

Deno.test("finalizers are a set: another manager's finalizer is no mismatch", () => {
  const desired = deepFreeze(withAppliedHash({
    ...secret(NS),
    metadata: { name: "s", namespace: NS, finalizers: ["vigil.dev/cleanup"] },
  }));
  const live = edited(desired, (l) => l.metadata.finalizers.unshift("example.com/keep"));
  assert.equal(matchesLive(desired, live), true);
  const gone = edited(desired, (l) => l.metadata.finalizers = ["example.com/keep"]);
  assert.equal(matchesLive(desired, gone), false);
});

Deno.test("a Secret's stringData matches the base64 data the apiserver stores", () => {
  const desired = deepFreeze(withAppliedHash({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "s", namespace: NS },
    data: { a: btoa("x") },
    stringData: { password: "pässwörd", a: "override" },
  }));
  const stored = edited(desired, (l) => {
    delete l.stringData;
    l.data = { a: btoa("override"), password: "cMOkc3N3w7ZyZA==" };
  });
  assert.equal(matchesLive(desired, stored), true);
  const edit = edited(stored, (l) => l.data.password = btoa("changed"));
  assert.equal(matchesLive(desired, edit), false);
});

Deno.test("apiVersion and kind are compared only when live has them", () => {
  const live = edited(liveSts, (l) => {
    delete l.apiVersion;
    delete l.kind;
  });
  assert.equal(matchesLive(desiredSts, live), true);
  assert.equal(
    matchesLive(desiredSts, edited(liveSts, (l) => l.apiVersion = "apps/v1beta2")),
    false,
  );
});

Deno.test("a type change (string to number, map to list) is a mismatch", () => {
  const pdb = deepFreeze(withAppliedHash(podDisruptionBudget(NS)));
  assert.equal(matchesLive(pdb, edited(pdb, (l) => l.spec.maxUnavailable = "1")), false);
  assert.equal(matchesLive(pdb, edited(pdb, (l) => l.spec.selector = [])), false);
});

Deno.test("every realistic object matches a copy of itself, frozen", () => {
  for (const obj of realisticObjects(NS)) {
    const desired = deepFreeze(withAppliedHash(obj));
    assert.equal(
      matchesLive(desired, deepFreeze(structuredClone(desired))),
      true,
      String(obj.kind),
    );
  }
});

Deno.test("matchesLive never mutates its inputs", () => {
  const desired = withAppliedHash(statefulSet(NS));
  const live = structuredClone(liveSts);
  const before = [JSON.stringify(desired), JSON.stringify(live)];
  matchesLive(desired, live);
  assert.deepEqual([JSON.stringify(desired), JSON.stringify(live)], before);
  assert.equal(appliedHash(desired), desired.metadata?.annotations?.[APPLIED_HASH_ANNOTATION]);
});

function podWith(spec: Json): KubeObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: NS }, spec };
}
