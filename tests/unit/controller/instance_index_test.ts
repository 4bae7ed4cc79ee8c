import assert from "node:assert/strict";
import { indexByInstance, INSTANCE_INDEX } from "../../../src/controller/instance_index.ts";
import { type KubeObject, Writer } from "../../../src/runtime/mod.ts";

const pod = (namespace: string, name: string, instance?: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    namespace,
    name,
    ...(instance === undefined ? {} : { labels: { "app.kubernetes.io/instance": instance } }),
  },
});

Deno.test("the instance index files objects under namespace/instance, and unlabelled ones nowhere", () => {
  const writer = new Writer<KubeObject>({ indexers: { [INSTANCE_INDEX]: indexByInstance } });
  writer.apply(pod("a", "orders-0", "orders"));
  writer.apply(pod("a", "orders-1", "orders"));
  writer.apply(pod("a", "orders-archive-0", "orders-archive"));
  writer.apply(pod("b", "orders-0", "orders"));
  writer.apply(pod("a", "stray"));
  const names = (key: string) =>
    writer.reader().byIndex(INSTANCE_INDEX, key).map((o) => o.metadata?.name).sort();
  assert.deepEqual(names("a/orders"), ["orders-0", "orders-1"]);
  assert.deepEqual(names("a/orders-archive"), ["orders-archive-0"]);
  assert.deepEqual(names("b/orders"), ["orders-0"]);
  assert.deepEqual(indexByInstance(pod("a", "stray")), []);
  // Relabelled: the object moves to its new instance.
  writer.apply(pod("a", "orders-1", "billing"));
  assert.deepEqual(names("a/orders"), ["orders-0"]);
  assert.deepEqual(names("a/billing"), ["orders-1"]);
});
