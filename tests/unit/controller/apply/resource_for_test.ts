import assert from "node:assert/strict";
import { OWNED_RESOURCES, resourceFor } from "../../../../src/controller/apply/mod.ts";
import { resourcePath } from "../../../../src/runtime/mod.ts";

Deno.test("resourceFor knows every kind Vigil owns, at its API path", () => {
  const paths = [
    ["v1", "Secret", "/api/v1/namespaces/n/secrets/x"],
    ["v1", "ConfigMap", "/api/v1/namespaces/n/configmaps/x"],
    ["v1", "Service", "/api/v1/namespaces/n/services/x"],
    ["v1", "PersistentVolumeClaim", "/api/v1/namespaces/n/persistentvolumeclaims/x"],
    ["v1", "Pod", "/api/v1/namespaces/n/pods/x"],
    ["apps/v1", "StatefulSet", "/apis/apps/v1/namespaces/n/statefulsets/x"],
    ["policy/v1", "PodDisruptionBudget", "/apis/policy/v1/namespaces/n/poddisruptionbudgets/x"],
    ["batch/v1", "CronJob", "/apis/batch/v1/namespaces/n/cronjobs/x"],
    ["batch/v1", "Job", "/apis/batch/v1/namespaces/n/jobs/x"],
  ] as const;
  for (const [apiVersion, kind, path] of paths) {
    const resource = resourceFor(apiVersion, kind);
    assert.equal(resourcePath(resource, { namespace: "n", name: "x" }), path);
    assert.equal(resource.kind, kind);
    assert.equal(resource.namespaced, true);
  }
  assert.equal(OWNED_RESOURCES.length, paths.length);
});

Deno.test("resourceFor refuses other kinds and versions, naming the ones it knows", () => {
  assert.throws(() => resourceFor("apps/v1", "Deployment"), (err: Error) => {
    assert.ok(err instanceof RangeError);
    assert.match(err.message, /^Cannot find the resource of "apps\/v1" "Deployment": Vigil owns/);
    assert.match(err.message, /policy\/v1 PodDisruptionBudget/);
    return true;
  });
  assert.throws(() => resourceFor("policy/v1beta1", "PodDisruptionBudget"), RangeError);
  assert.throws(() => resourceFor("v1", "secret"), RangeError);
});

Deno.test("the owned resources cannot be changed by a caller", () => {
  assert.ok(Object.isFrozen(OWNED_RESOURCES));
  assert.ok(Object.isFrozen(resourceFor("v1", "Secret")));
});
