import assert from "node:assert/strict";
import fc from "fast-check";
import {
  applyDefaults,
  type DatabaseV1,
  defaultDatabase,
  toJsonPatch,
} from "../../../src/database/mod.ts";

const base = (spec: DatabaseV1["spec"]): DatabaseV1 => ({
  apiVersion: "vigil.dev/v1",
  kind: "Database",
  metadata: { name: "orders", namespace: "shop" },
  ...(spec === undefined ? {} : { spec }),
});

Deno.test("a schema-defaulted object only gets the catalog version", () => {
  const db = base({
    engine: "mysql",
    replicas: 1,
    storageSize: "10Gi",
    pvcDeletionPolicy: "Retain",
  });
  assert.deepEqual(defaultDatabase(db), [
    { path: "spec.version", pointer: "/spec/version", value: "8.4.5" },
  ]);
});

Deno.test("a missing spec is added whole with every default", () => {
  const additions = defaultDatabase(base(undefined));
  assert.deepEqual(additions, [{
    path: "spec",
    pointer: "/spec",
    value: {
      engine: "postgres",
      replicas: 1,
      storageSize: "10Gi",
      pvcDeletionPolicy: "Retain",
      version: "17.5",
    },
  }]);
});

Deno.test("on update an unset version keeps the running version instead of upgrading", () => {
  const old = base({ engine: "postgres", version: "15.8" });
  const additions = defaultDatabase(base({ engine: "postgres" }), { oldObject: old });
  assert.deepEqual(additions.find((a) => a.path === "spec.version")?.value, "15.8");
});

Deno.test("the default version can come from the context", () => {
  const additions = defaultDatabase(base({}), { defaultVersion: () => "16.4" });
  assert.equal(additions.find((a) => a.path === "spec.version")?.value, "16.4");
});

Deno.test("given resources without requests get cpu 100m and memory 256Mi", () => {
  const additions = defaultDatabase(base({ version: "17.5", resources: {} }));
  assert.deepEqual(additions.find((a) => a.path === "spec.resources.requests"), {
    path: "spec.resources.requests",
    pointer: "/spec/resources/requests",
    value: { cpu: "100m", memory: "256Mi" },
  });
});

Deno.test("a partly set request only gets the missing resource", () => {
  const additions = defaultDatabase(
    base({ version: "17.5", resources: { requests: { cpu: "2" } } }),
  );
  assert.deepEqual(additions.filter((a) => a.path.startsWith("spec.resources")), [
    {
      path: "spec.resources.requests.memory",
      pointer: "/spec/resources/requests/memory",
      value: "256Mi",
    },
  ]);
});

Deno.test("a request default never exceeds a lower limit", () => {
  const additions = defaultDatabase(
    base({ version: "17.5", resources: { limits: { cpu: "50m", memory: "1Gi" } } }),
  );
  assert.deepEqual(additions.find((a) => a.path === "spec.resources.requests")?.value, {
    cpu: "50m",
    memory: "256Mi",
  });
});

Deno.test("no resources means no resource defaults", () => {
  const additions = defaultDatabase(base({ version: "17.5" }));
  assert.ok(!additions.some((a) => a.path.startsWith("spec.resources")));
});

Deno.test("JSON patch operations are adds at the pointers", () => {
  const patch = toJsonPatch(
    defaultDatabase(
      base({ engine: "postgres", replicas: 2, storageSize: "1Gi", pvcDeletionPolicy: "Delete" }),
    ),
  );
  assert.deepEqual(patch, [{ op: "add", path: "/spec/version", value: "17.5" }]);
});

const specArb = fc.record({
  engine: fc.constantFrom("postgres" as const, "mysql" as const),
  version: fc.constantFrom("16.4", "8.0.40", "17.5"),
  replicas: fc.integer({ min: 1, max: 10 }),
  storageSize: fc.constantFrom("1Gi", "20Gi"),
  pvcDeletionPolicy: fc.constantFrom("Retain" as const, "Delete" as const),
  resources: fc.record({
    requests: fc.record({
      cpu: fc.constantFrom("1", "250m"),
      memory: fc.constantFrom("1Gi", "64Mi"),
    }, {
      requiredKeys: [],
    }),
    limits: fc.record(
      { cpu: fc.constantFrom("2", "10m"), memory: fc.constantFrom("2Gi", "128Mi") },
      {
        requiredKeys: [],
      },
    ),
  }, { requiredKeys: [] }),
}, { requiredKeys: [] });

Deno.test("defaulting never overwrites a value the user set (property)", () => {
  fc.assert(
    fc.property(specArb, (spec) => {
      const db = base(spec);
      const defaulted = applyDefaults(db, defaultDatabase(db));
      const check = (given: unknown, result: unknown): void => {
        if (typeof given === "object" && given !== null) {
          for (const [k, v] of Object.entries(given)) {
            check(v, (result as Record<string, unknown>)[k]);
          }
        } else {
          assert.equal(result, given);
        }
      };
      check(db, defaulted);
      assert.ok(defaulted.spec?.version !== undefined);
      // Defaulting is idempotent: a defaulted object needs nothing more.
      assert.deepEqual(defaultDatabase(defaulted), []);
    }),
    { numRuns: 1000 },
  );
});
