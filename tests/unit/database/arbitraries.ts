/**
 * fast-check generators of schema-valid Databases in every served version.
 *
 * @module
 */

import fc from "fast-check";
import type {
  DatabaseStatus,
  DatabaseV1,
  DatabaseV1alpha1,
  DatabaseV1beta1,
  ObjectMeta,
} from "../../../src/database/mod.ts";
import { supportedVersions } from "../../../src/database/mod.ts";

const opt = { requiredKeys: [] as never[] };

/** Objects as they arrive over the wire: JSON, plain prototypes (fast-check may use null ones). */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

const versions = fc.constantFrom(...supportedVersions("postgres"), ...supportedVersions("mysql"));
const sizes = fc.constantFrom("1Gi", "10Gi", "500Mi", "1.5Ti", "100G", "2e9");
const quantity = fc.oneof(
  fc.constantFrom("100m", "1", "2Gi", "256Mi", "1.5"),
  fc.integer({ min: 0, max: 64 }),
);
const schedules = fc.constantFrom("@daily", "@hourly", "0 3 * * *", "*/15 * * * *", "@every 6h");

/** Object metadata, sometimes with annotations, labels or nothing at all. */
export const metadataArb: fc.Arbitrary<ObjectMeta> = fc.record({
  name: fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/),
  namespace: fc.constantFrom("default", "shop"),
  generation: fc.integer({ min: 1, max: 100 }),
  labels: fc.dictionary(fc.constantFrom("app", "team", "tier"), fc.string({ maxLength: 8 })),
  annotations: fc.dictionary(
    fc.constantFrom("note", "example.com/owner"),
    fc.string({ maxLength: 8 }),
  ),
}, opt);

/** A status, identical in every version. */
export const statusArb: fc.Arbitrary<DatabaseStatus> = fc.record({
  phase: fc.constantFrom("Pending" as const, "Running" as const, "Upgrading" as const),
  replicas: fc.integer({ min: 0, max: 10 }),
  readyReplicas: fc.integer({ min: 0, max: 10 }),
  ready: fc.constantFrom("0/1", "2/3"),
  currentVersion: versions,
  observedGeneration: fc.integer({ min: 0, max: 100 }),
  endpoints: fc.record({
    readWrite: fc.constant("db.shop.svc:5432"),
    readOnly: fc.constant("db-ro.shop.svc:5432"),
  }, opt),
  conditions: fc.array(
    fc.record({
      type: fc.constantFrom("Ready", "Available"),
      status: fc.constantFrom("True" as const, "False" as const, "Unknown" as const),
      lastTransitionTime: fc.constant("2026-11-22T10:00:00Z"),
      reason: fc.constantFrom("AllReady", "Scaling"),
      message: fc.string({ maxLength: 10 }),
      observedGeneration: fc.integer({ min: 0, max: 100 }),
    }, { requiredKeys: ["type", "status", "lastTransitionTime", "reason", "message"] }),
    { maxLength: 2 },
  ),
}, opt);

const resources = fc.record({
  requests: fc.record({ cpu: quantity, memory: quantity }, opt),
  limits: fc.record({ cpu: quantity, memory: quantity }, opt),
}, opt);

const config = fc.dictionary(
  fc.constantFrom("max_connections", "work_mem", "wal_level", "slow_query_log"),
  fc.string({ maxLength: 6 }),
  { maxKeys: 4 },
);

const v1Spec = fc.record({
  engine: fc.constantFrom("postgres" as const, "mysql" as const),
  version: versions,
  replicas: fc.integer({ min: 1, max: 10 }),
  storageSize: sizes,
  storageClassName: fc.constantFrom("fast", "standard"),
  resources,
  config,
  backupSchedule: schedules,
  image: fc.constantFrom("registry.example.com/mirror/postgres:17.5", "mysql:8.4.5"),
  pvcDeletionPolicy: fc.constantFrom("Retain" as const, "Delete" as const),
}, opt);

/** Any schema-valid v1 Database. */
export const v1Arb: fc.Arbitrary<DatabaseV1> = fc.record({
  apiVersion: fc.constant("vigil.dev/v1" as const),
  kind: fc.constant("Database" as const),
  metadata: metadataArb,
  spec: v1Spec,
  status: statusArb,
}, { requiredKeys: ["apiVersion", "kind"] }).map(plain);

/** Any schema-valid v1beta1 Database. */
export const v1beta1Arb: fc.Arbitrary<DatabaseV1beta1> = v1Arb.map((db) => {
  const { image: _image, ...spec } = db.spec ?? {};
  return { ...db, apiVersion: "vigil.dev/v1beta1" as const, ...(db.spec ? { spec } : {}) };
});

/** Any schema-valid v1alpha1 Database, including non-canonical `size` strings such as "03". */
export const v1alpha1Arb: fc.Arbitrary<DatabaseV1alpha1> = fc.record({
  apiVersion: fc.constant("vigil.dev/v1alpha1" as const),
  kind: fc.constant("Database" as const),
  metadata: metadataArb,
  spec: fc.record({
    size: fc.stringMatching(/^0{0,2}([1-9]|10)$/).filter((size) => size.length <= 3),
    dbVersion: versions,
    storage: sizes,
    backup: fc.boolean(),
  }, opt),
  status: statusArb,
}, { requiredKeys: ["apiVersion", "kind"] }).map(plain);

/**
 * Values a user may send where the schema expects something else: wrong
 * types, huge and unicode strings, numbers at the edges, unknown engines and
 * prototype names, null, empty and nested containers.
 */
export const hostileValueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, "", [], {}),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom(
    "oracle",
    "Postgres",
    "postgres ",
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
    "пострес",
    "🐘",
    "1e2000",
    "1e99999999",
    "-1",
    "17.5\n",
  ),
  fc.integer({ min: 1, max: 4 }).map((n) => "x".repeat(10 ** n * 5)),
  fc.integer({ min: 10, max: 300 }).map((depth) => {
    let value: unknown = "bottom";
    for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
    return value;
  }),
);

const orHostile = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: valid, weight: 1 }, { arbitrary: hostileValueArb, weight: 1 });

const hostileQuantity = orHostile(
  fc.constantFrom("100m", "1", "2Gi", 3, "1e2000", "abc", "-1", "1e-1000"),
);
const hostileResourceList = orHostile(
  fc.record({ cpu: hostileQuantity, memory: hostileQuantity }, opt),
);

/**
 * A `spec` as an untrusted client may send it, before any schema check:
 * sometimes not an object at all, usually an object whose fields are each
 * either valid or hostile. Plain JSON, as the webhook receives it.
 */
export const hostileSpecArb: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileValueArb, weight: 1 },
  {
    arbitrary: fc.record({
      engine: orHostile(fc.constantFrom("postgres", "mysql")),
      version: orHostile(versions),
      replicas: orHostile(fc.integer({ min: -2, max: 12 })),
      storageSize: orHostile(sizes),
      storageClassName: orHostile(fc.constantFrom("fast", "standard")),
      resources: orHostile(
        fc.record({ requests: hostileResourceList, limits: hostileResourceList }, opt),
      ),
      config: orHostile(
        fc.dictionary(
          fc.oneof(
            fc.constantFrom(
              "max_connections",
              "work_mem",
              "__proto__",
              "constructor",
              "Bad Key",
              "a.b",
            ),
            fc.string({ maxLength: 80 }),
          ),
          orHostile(fc.constantFrom("100", "4MB", "on")),
          { maxKeys: 25 },
        ),
      ),
      backupSchedule: orHostile(schedules),
      image: orHostile(fc.constantFrom("mirror/postgres:17.5")),
      pvcDeletionPolicy: orHostile(fc.constantFrom("Retain", "Delete")),
    }, opt),
    weight: 4,
  },
).map(plain);

/** A v1alpha1 `spec` as an untrusted client may send it, before any schema check. */
export const hostileAlphaSpecArb: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileValueArb, weight: 1 },
  {
    arbitrary: fc.record({
      size: orHostile(fc.constantFrom("1", "03", "10", "0", "11", "999")),
      dbVersion: orHostile(versions),
      storage: orHostile(sizes),
      backup: orHostile(fc.boolean()),
    }, opt),
    weight: 4,
  },
).map(plain);
