/**
 * The shared plane does what the Database tests rely on: a StatefulSet's pods
 * become Ready on kwok nodes, its claims are provisioned and Bound, claims on
 * the expandable class grow, and the apiserver refuses growth on the other.
 */
import assert from "node:assert/strict";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";

function statefulSet(namespace: string, storageClass: string) {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "web", namespace },
    spec: {
      serviceName: "web",
      replicas: 3,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [{
            name: "c",
            image: "registry.invalid/web:1",
            volumeMounts: [{ name: "data", mountPath: "/data" }],
          }],
        },
      },
      volumeClaimTemplates: [{
        metadata: { name: "data" },
        spec: {
          accessModes: ["ReadWriteOnce"],
          storageClassName: storageClass,
          resources: { requests: { storage: "1Gi" } },
        },
      }],
    },
  };
}

Deno.test("a 3-replica StatefulSet becomes 3/3 Ready with 3 Bound claims, and a claim grows", async () => {
  const plane = await sharedPlane();
  await withNamespace(plane, "plane-sts", async (ns) => {
    await plane.kubectlOk(["apply", "-f", "-"], {
      stdin: JSON.stringify(statefulSet(ns, "standard")),
    });
    await eventually("3 ready replicas", async () => {
      const sts = JSON.parse(await plane.kubectlOk(["-n", ns, "get", "sts", "web", "-o", "json"]));
      return sts.status?.readyReplicas === 3 ? true : undefined;
    }, { timeoutMs: 90_000 });
    const pvcs = JSON.parse(await plane.kubectlOk(["-n", ns, "get", "pvc", "-o", "json"]));
    assert.equal(pvcs.items.length, 3);
    for (const pvc of pvcs.items) assert.equal(pvc.status.phase, "Bound", pvc.metadata.name);

    await plane.kubectlOk([
      "-n",
      ns,
      "patch",
      "pvc",
      "data-web-0",
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { resources: { requests: { storage: "2Gi" } } } }),
    ]);
    const grown = await eventually("the claim's capacity to reach 2Gi", async () => {
      const pvc = JSON.parse(
        await plane.kubectlOk(["-n", ns, "get", "pvc", "data-web-0", "-o", "json"]),
      );
      return pvc.status?.capacity?.storage === "2Gi" ? pvc : undefined;
    });
    assert.equal(grown.spec.resources.requests.storage, "2Gi");
    const pv = JSON.parse(
      await plane.kubectlOk(["get", "pv", grown.spec.volumeName, "-o", "json"]),
    );
    assert.equal(pv.spec.capacity.storage, "2Gi");
  });
});

Deno.test("the apiserver refuses to grow a claim whose StorageClass does not allow expansion", async () => {
  const plane = await sharedPlane();
  await withNamespace(plane, "plane-fixed", async (ns) => {
    const claim = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "fixed", namespace: ns },
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: "fixed-size",
        resources: { requests: { storage: "1Gi" } },
      },
    };
    await plane.kubectlOk(["apply", "-f", "-"], { stdin: JSON.stringify(claim) });
    await eventually("the claim to be Bound", async () => {
      const pvc = JSON.parse(
        await plane.kubectlOk(["-n", ns, "get", "pvc", "fixed", "-o", "json"]),
      );
      return pvc.status?.phase === "Bound" ? true : undefined;
    });
    const result = await plane.kubectl([
      "-n",
      ns,
      "patch",
      "pvc",
      "fixed",
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { resources: { requests: { storage: "2Gi" } } } }),
    ]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /storageclass that provisions the pvc must support resize/i);
    const after = JSON.parse(
      await plane.kubectlOk(["-n", ns, "get", "pvc", "fixed", "-o", "json"]),
    );
    assert.equal(after.spec.resources.requests.storage, "1Gi");
  });
});
