import assert from "node:assert/strict";
import {
  CLEANUP_FINALIZER,
  convertDatabaseHandler,
  databaseWebhookConfigurations,
  defaultVersion,
  mutateDatabaseHandler,
  storageClassLookup,
  validateDatabaseHandler,
} from "../../../src/database/mod.ts";
import type { AdmissionRequest } from "../../../src/webhook/mod.ts";

const signal = new AbortController().signal;

function request(
  object: Record<string, unknown> | null,
  extra: Partial<AdmissionRequest> = {},
): AdmissionRequest {
  return {
    uid: "u1",
    kind: { group: "vigil.dev", version: "v1", kind: "Database" },
    resource: { group: "vigil.dev", version: "v1", resource: "databases" },
    operation: "CREATE",
    userInfo: {},
    namespace: "prod",
    name: "orders",
    object,
    ...extra,
  };
}

function db(spec: Record<string, unknown>) {
  return {
    apiVersion: "vigil.dev/v1",
    kind: "Database",
    metadata: { name: "orders", namespace: "prod" },
    spec,
  };
}

const lookup = storageClassLookup(() => [
  {
    metadata: {
      name: "standard",
      annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
    },
    allowVolumeExpansion: true,
  },
  { metadata: { name: "fixed-size" }, allowVolumeExpansion: false },
]);

function decodePatch(patch: string | undefined): { op: string; path: string; value: unknown }[] {
  assert.ok(patch, "a patch is returned");
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(patch), (c) => c.charCodeAt(0))));
}

Deno.test("mutate adds only what the user left unset, as JSON Patch add operations", async () => {
  const res = await mutateDatabaseHandler()(request(db({ engine: "mysql", replicas: 3 })), signal);
  assert.equal(res.allowed, true);
  assert.equal(res.patchType, "JSONPatch");
  const ops = decodePatch(res.patch);
  assert.ok(ops.every((op) => op.op === "add"), JSON.stringify(ops));
  assert.deepEqual(ops.find((op) => op.path === "/spec/version")?.value, defaultVersion("mysql"));
  assert.equal(ops.some((op) => op.path === "/spec/replicas" || op.path === "/spec/engine"), false);
});

Deno.test("mutate sends no patch when nothing is missing", async () => {
  const full = db({
    engine: "postgres",
    version: "17.5",
    replicas: 1,
    storageSize: "10Gi",
    pvcDeletionPolicy: "Retain",
  });
  const res = await mutateDatabaseHandler()(request(full), signal);
  assert.equal(res.allowed, true);
  assert.equal(res.patch, undefined);
});

Deno.test("mutate adds the cleanup finalizer at creation, only in namespaces this operator runs", async () => {
  const mutate = mutateDatabaseHandler({ runsNamespace: (ns) => ns === "prod" });
  const full = { ...db({ engine: "postgres" }) };
  const ops = decodePatch((await mutate(request(full), signal)).patch);
  assert.deepEqual(ops.find((op) => op.path.startsWith("/metadata")), {
    op: "add",
    path: "/metadata/finalizers",
    value: [CLEANUP_FINALIZER],
  });
  // Another user's finalizer is kept; ours is appended, never duplicated.
  const theirs = { ...full, metadata: { ...full.metadata, finalizers: ["example.com/keep"] } };
  assert.deepEqual(
    decodePatch((await mutate(request(theirs), signal)).patch).filter((op) =>
      op.path.startsWith("/metadata")
    ),
    [{ op: "add", path: "/metadata/finalizers/-", value: CLEANUP_FINALIZER }],
  );
  const ours = { ...full, metadata: { ...full.metadata, finalizers: [CLEANUP_FINALIZER] } };
  const again = await mutate(request(ours), signal);
  assert.equal(
    again.patch === undefined ||
      decodePatch(again.patch).every((op) => !op.path.startsWith("/metadata")),
    true,
  );
  // Another installation's namespace, an update (a user removing it keeps it removed), no option.
  for (
    const [handler, req] of [
      [
        mutate,
        request({ ...full, metadata: { name: "orders", namespace: "dev" } }, {
          namespace: "dev",
        }),
      ],
      [mutate, request(full, { operation: "UPDATE", oldObject: full })],
      [mutateDatabaseHandler(), request(full)],
    ] as const
  ) {
    const res = await handler(req, signal);
    assert.equal(res.allowed, true);
    const metadataOps = res.patch === undefined
      ? []
      : decodePatch(res.patch).filter((op) => op.path.startsWith("/metadata"));
    assert.deepEqual(metadataOps, [], `${req.operation} in ${req.namespace}`);
  }
});

Deno.test("a request that is not a v1 Database is refused with what was expected", async () => {
  const res = await mutateDatabaseHandler()(
    request({ apiVersion: "vigil.dev/v1alpha1", kind: "Database", spec: {} }),
    signal,
  );
  assert.equal(res.allowed, false);
  assert.equal(res.status?.code, 400);
  assert.match(
    res.status?.message ?? "",
    /expected a vigil\.dev\/v1 Database, got vigil\.dev\/v1alpha1/,
  );
});

Deno.test("DELETE and subresource writes are allowed without looking at the object", async () => {
  const del = await validateDatabaseHandler(lookup)(request(null, { operation: "DELETE" }), signal);
  assert.equal(del.allowed, true);
  const status = await validateDatabaseHandler(lookup)(
    request(db({ replicas: 99 }), { operation: "UPDATE", subResource: "status" }),
    signal,
  );
  assert.equal(status.allowed, true);
});

Deno.test("validate reports every problem with its field path as a cause", async () => {
  const res = await validateDatabaseHandler(lookup)(
    request(db({ version: "17.5", replicas: 11, config: { no_such_parameter: "1" } })),
    signal,
  );
  assert.equal(res.allowed, false);
  assert.equal(res.status?.code, 422);
  assert.equal(res.status?.reason, "Invalid");
  const fields = (res.status?.details?.causes ?? []).map((c) => c.field).sort();
  assert.deepEqual(fields, ["spec.config.no_such_parameter", "spec.replicas"]);
  assert.match(res.status?.message ?? "", /^Database prod\/orders is invalid: /);
  assert.match(res.status?.message ?? "", /accepted/);
});

Deno.test("validate refuses storage growth on a class that cannot expand, and allows it on one that can", async () => {
  const grow = (storageClassName: string) =>
    validateDatabaseHandler(lookup)(
      request(db({ version: "17.5", storageClassName, storageSize: "2Gi" }), {
        operation: "UPDATE",
        oldObject: db({ version: "17.5", storageClassName, storageSize: "1Gi" }),
      }),
      signal,
    );
  const fixed = await grow("fixed-size");
  assert.equal(fixed.allowed, false);
  assert.ok(fixed.status?.details?.causes?.some((c) => c.field === "spec.storageSize"));
  assert.equal((await grow("standard")).allowed, true);
});

Deno.test("the StorageClass lookup resolves no name to the default class", () => {
  assert.deepEqual(lookup.storageClass(undefined), { exists: true, allowVolumeExpansion: true });
  assert.deepEqual(lookup.storageClass("fixed-size"), {
    exists: true,
    allowVolumeExpansion: false,
  });
  assert.deepEqual(lookup.storageClass("missing"), { exists: false, allowVolumeExpansion: false });
  const none = storageClassLookup(() => [{ metadata: { name: "plain" } }]);
  assert.equal(none.storageClass(undefined).exists, false);
});

Deno.test("convert turns v1alpha1 into v1 and back", async () => {
  const alpha = {
    apiVersion: "vigil.dev/v1alpha1",
    kind: "Database",
    metadata: { name: "a", namespace: "prod" },
    spec: { size: "2", dbVersion: "17.5", storage: "5Gi", backup: true },
  };
  const [v1] = await convertDatabaseHandler()([alpha], "vigil.dev/v1", signal);
  assert.equal(v1?.apiVersion, "vigil.dev/v1");
  assert.deepEqual((v1 as { spec: unknown }).spec, {
    replicas: 2,
    version: "17.5",
    storageSize: "5Gi",
    backupSchedule: "@daily",
  });
  const [back] = await convertDatabaseHandler()([v1!], "vigil.dev/v1alpha1", signal);
  assert.deepEqual((back as { spec: unknown }).spec, alpha.spec);
});

Deno.test("webhook configurations match v1 databases only, optionally scoped by namespace labels", () => {
  const { mutating, validating } = databaseWebhookConfigurations({
    namespaceLabels: { team: "a" },
  });
  for (const config of [mutating, validating]) {
    const hook = config.webhooks[0]!;
    assert.deepEqual(hook.rules[0]?.apiVersions, ["v1"]);
    assert.deepEqual(hook.rules[0]?.resources, ["databases"]);
    assert.deepEqual(hook.namespaceSelector, { matchLabels: { team: "a" } });
  }
  assert.equal(databaseWebhookConfigurations().mutating.webhooks[0]?.namespaceSelector, undefined);
});

Deno.test("validate answers 503 (retry) until the StorageClass cache has synced", async () => {
  let synced = false;
  const ctx = storageClassLookup(() => [], () => synced);
  const early = await validateDatabaseHandler(ctx)(request(db({ version: "17.5" })), signal);
  assert.equal(early.allowed, false);
  assert.equal(early.status?.code, 503);
  assert.match(early.status?.message ?? "", /has not synced; retry/);
  synced = true;
  const later = await validateDatabaseHandler(ctx)(
    request(db({ version: "17.5", storageClassName: "standard" })),
    signal,
  );
  assert.equal(later.status?.code, 422, "once synced, a class that is not there is reported");
  assert.ok(later.status?.details?.causes?.some((c) => c.field === "spec.storageClassName"));
});
