import assert from "node:assert/strict";
import { sharedPlane } from "../../support/shared_plane.ts";
import { EventRecorder } from "../../../src/runtime/mod.ts";
import { clientFor, createNamespace, deleteNamespace } from "./_helpers.ts";

Deno.test("10 identical events become one Event with count 10", async () => {
  const plane = await sharedPlane();
  const client = await clientFor(plane.kubeconfigPath);
  const ns = await createNamespace(client, "rt-events");
  try {
    const cm = await client.request<{ metadata: { name: string; namespace: string; uid: string } }>(
      "POST",
      `/api/v1/namespaces/${ns}/configmaps`,
      { body: { metadata: { name: "target" } } },
    );
    const recorder = new EventRecorder(client, { component: "vigil-test" });
    const obj = { apiVersion: "v1", kind: "ConfigMap", metadata: cm.metadata };
    for (let i = 0; i < 10; i++) recorder.event(obj, "Normal", "Synced", "everything is fine");
    await recorder.flush();
    const events = await client.request<{ items: Array<{ count: number; message: string }> }>(
      "GET",
      `/api/v1/namespaces/${ns}/events`,
      { query: { fieldSelector: "involvedObject.name=target" } },
    );
    assert.equal(events.items.length, 1);
    assert.equal(events.items[0]?.count, 10);
    assert.equal(events.items[0]?.message, "everything is fine");
  } finally {
    await deleteNamespace(client, ns);
  }
});
