import assert from "node:assert/strict";
import {
  type DatabaseV1,
  type FieldProblem,
  formatProblems,
  type StorageClassInfo,
  validateDatabase,
  type ValidationContext,
} from "../../../src/database/mod.ts";

const classes: Record<string, StorageClassInfo> = {
  fast: { exists: true, allowVolumeExpansion: true },
  fixed: { exists: true, allowVolumeExpansion: false },
};
const ctx: ValidationContext = {
  storageClass: (name) => classes[name ?? "fast"] ?? { exists: false, allowVolumeExpansion: false },
};

type Spec = Record<string, unknown>;

function db(spec: Spec, name = "orders"): DatabaseV1 {
  return {
    apiVersion: "vigil.dev/v1",
    kind: "Database",
    metadata: { name, namespace: "shop" },
    spec: {
      engine: "postgres",
      version: "17.5",
      replicas: 1,
      storageSize: "10Gi",
      ...spec,
    } as DatabaseV1["spec"],
  };
}

Deno.test("a complete, valid Database has no problems", () => {
  const good = db({
    replicas: 3,
    storageClassName: "fast",
    resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: 2, memory: "2Gi" } },
    config: { max_connections: "200", shared_buffers: "512MB", wal_level: "replica" },
    backupSchedule: "0 3 * * *",
    image: "registry.example.com/mirror/postgres:17.5",
    pvcDeletionPolicy: "Delete",
  });
  assert.deepEqual(validateDatabase(good, undefined, ctx), []);
});

interface BadCase {
  name: string;
  spec?: Spec;
  old?: Spec;
  dbName?: string;
  path: string;
  accepted: RegExp;
}

/** Each case: a bad spec, the exact field path reported, and what the message must say is accepted. */
const BAD: BadCase[] = [
  {
    name: "unknown engine",
    spec: { engine: "oracle" },
    path: "spec.engine",
    accepted: /postgres or mysql/,
  },
  {
    name: "engine as number",
    spec: { engine: 5 },
    path: "spec.engine",
    accepted: /postgres or mysql/,
  },
  {
    name: "version missing",
    spec: { version: undefined },
    path: "spec.version",
    accepted: /17\.5/,
  },
  {
    name: "version not in catalog",
    spec: { version: "17.9" },
    path: "spec.version",
    accepted: /one of 14\.13/,
  },
  {
    name: "version malformed",
    spec: { version: "latest" },
    path: "spec.version",
    accepted: /catalog version/,
  },
  {
    name: "mysql version on postgres",
    spec: { version: "8.4.5" },
    path: "spec.version",
    accepted: /one of 14\.13, .*17\.5/,
  },
  {
    name: "postgres version on mysql",
    spec: { engine: "mysql", version: "16.4" },
    path: "spec.version",
    accepted: /8\.0\.36.*8\.4\.5/,
  },
  {
    name: "major upgrade skips a major",
    spec: { version: "17.5" },
    old: { version: "15.8" },
    path: "spec.version",
    accepted: /from 15\.8: one of 15\.8, .*16\.9/,
  },
  {
    name: "major downgrade",
    spec: { version: "15.13" },
    old: { version: "16.4" },
    path: "spec.version",
    accepted: /from 16\.4: one of 16\.4/,
  },
  {
    name: "mysql 8.0 minor downgrade",
    spec: { engine: "mysql", version: "8.0.36" },
    old: { engine: "mysql", version: "8.0.40" },
    path: "spec.version",
    accepted: /from 8\.0\.40: one of 8\.0\.40, 8\.0\.41/,
  },
  {
    name: "zero replicas",
    spec: { replicas: 0 },
    path: "spec.replicas",
    accepted: /integer from 1 to 10/,
  },
  {
    name: "eleven replicas",
    spec: { replicas: 11 },
    path: "spec.replicas",
    accepted: /integer from 1 to 10/,
  },
  {
    name: "fractional replicas",
    spec: { replicas: 1.5 },
    path: "spec.replicas",
    accepted: /integer from 1 to 10/,
  },
  {
    name: "replicas as string",
    spec: { replicas: "3" },
    path: "spec.replicas",
    accepted: /integer from 1 to 10/,
  },
  {
    name: "storage bad unit",
    spec: { storageSize: "10GB" },
    path: "spec.storageSize",
    accepted: /positive Kubernetes quantity/,
  },
  {
    name: "storage negative",
    spec: { storageSize: "-1Gi" },
    path: "spec.storageSize",
    accepted: /positive Kubernetes quantity/,
  },
  {
    name: "storage zero",
    spec: { storageSize: "0" },
    path: "spec.storageSize",
    accepted: /positive Kubernetes quantity/,
  },
  {
    name: "storage as number",
    spec: { storageSize: 10 },
    path: "spec.storageSize",
    accepted: /positive Kubernetes quantity/,
  },
  {
    name: "storage shrinks",
    spec: { storageSize: "5Gi" },
    old: { storageSize: "10Gi" },
    path: "spec.storageSize",
    accepted: /at least 10Gi/,
  },
  {
    name: "storage shrinks across units",
    spec: { storageSize: "10G" },
    old: { storageSize: "10Gi" },
    path: "spec.storageSize",
    accepted: /at least 10Gi/,
  },
  {
    name: "storage grows on a class without expansion",
    spec: { storageSize: "20Gi", storageClassName: "fixed" },
    old: { storageSize: "10Gi", storageClassName: "fixed" },
    path: "spec.storageSize",
    accepted: /10Gi \(unchanged\)/,
  },
  {
    name: "storage grows on a missing class",
    spec: { storageSize: "20Gi", storageClassName: "gone" },
    old: { storageSize: "10Gi", storageClassName: "gone" },
    path: "spec.storageSize",
    accepted: /10Gi \(unchanged\)/,
  },
  {
    name: "storage class does not exist",
    spec: { storageClassName: "missing" },
    path: "spec.storageClassName",
    accepted: /existing StorageClass/,
  },
  {
    name: "storage class not a DNS name",
    spec: { storageClassName: "Fast_SSD" },
    path: "spec.storageClassName",
    accepted: /DNS subdomain/,
  },
  {
    name: "storage class changed",
    spec: { storageClassName: "fixed" },
    old: { storageClassName: "fast" },
    path: "spec.storageClassName",
    accepted: /fast \(the value at creation\)/,
  },
  {
    name: "storage class added",
    spec: { storageClassName: "fast" },
    old: {},
    path: "spec.storageClassName",
    accepted: /unset, as at creation/,
  },
  {
    name: "storage class removed",
    spec: {},
    old: { storageClassName: "fast" },
    path: "spec.storageClassName",
    accepted: /fast \(the value at creation\)/,
  },
  {
    name: "engine changed",
    spec: { engine: "mysql", version: "8.4.5" },
    old: { engine: "postgres", version: "17.5" },
    path: "spec.engine",
    accepted: /postgres \(the engine the Database was created with\)/,
  },
  {
    name: "cpu limit below request",
    spec: { resources: { requests: { cpu: "2" }, limits: { cpu: "1500m" } } },
    path: "spec.resources.limits.cpu",
    accepted: /at least 2/,
  },
  {
    name: "memory limit below request",
    spec: { resources: { requests: { memory: "1Gi" }, limits: { memory: "512Mi" } } },
    path: "spec.resources.limits.memory",
    accepted: /at least 1Gi/,
  },
  {
    name: "cpu request malformed",
    spec: { resources: { requests: { cpu: "two" } } },
    path: "spec.resources.requests.cpu",
    accepted: /Kubernetes quantity/,
  },
  {
    name: "memory limit negative number",
    spec: { resources: { limits: { memory: -5 } } },
    path: "spec.resources.limits.memory",
    accepted: /non-negative Kubernetes quantity/,
  },
  {
    name: "requests not an object",
    spec: { resources: { requests: "lots" } },
    path: "spec.resources.requests",
    accepted: /cpu and memory quantities/,
  },
  {
    name: "unknown postgres parameter",
    spec: { config: { innodb_buffer_pool_size: "1G" } },
    path: "spec.config.innodb_buffer_pool_size",
    accepted: /one of .*max_connections/,
  },
  {
    name: "unknown mysql parameter",
    spec: { engine: "mysql", version: "8.4.5", config: { shared_buffers: "1GB" } },
    path: "spec.config.shared_buffers",
    accepted: /one of .*innodb_buffer_pool_size/,
  },
  {
    name: "max_connections not a number",
    spec: { config: { max_connections: "many" } },
    path: "spec.config.max_connections",
    accepted: /an integer 1 to 262143/,
  },
  {
    name: "max_connections out of range",
    spec: { config: { max_connections: "300000" } },
    path: "spec.config.max_connections",
    accepted: /an integer 1 to 262143/,
  },
  {
    name: "shared_buffers with mysql unit",
    spec: { config: { shared_buffers: "1G" } },
    path: "spec.config.shared_buffers",
    accepted: /units B, kB, MB, GB, TB/,
  },
  {
    name: "wal_level unknown",
    spec: { config: { wal_level: "archive" } },
    path: "spec.config.wal_level",
    accepted: /one of minimal, replica, logical/,
  },
  {
    name: "wal_level minimal with replicas",
    spec: { replicas: 3, config: { wal_level: "minimal" } },
    path: "spec.config.wal_level",
    accepted: /replica or logical when spec.replicas > 1/,
  },
  {
    name: "checkpoint_timeout too short",
    spec: { config: { checkpoint_timeout: "10s" } },
    path: "spec.config.checkpoint_timeout",
    accepted: /a duration 30000ms to 86400000ms/,
  },
  {
    name: "synchronous_commit unknown",
    spec: { config: { synchronous_commit: "sometimes" } },
    path: "spec.config.synchronous_commit",
    accepted: /one of on, off, local, remote_write, remote_apply/,
  },
  {
    name: "mysql binlog_format unknown",
    spec: { engine: "mysql", version: "8.4.5", config: { binlog_format: "JSON" } },
    path: "spec.config.binlog_format",
    accepted: /one of ROW, STATEMENT, MIXED/,
  },
  {
    name: "mysql buffer pool too small",
    spec: { engine: "mysql", version: "8.4.5", config: { innodb_buffer_pool_size: "1M" } },
    path: "spec.config.innodb_buffer_pool_size",
    accepted: /a size at least 5M; bare numbers are in bytes/,
  },
  {
    name: "mysql slow_query_log not a bool",
    spec: { engine: "mysql", version: "8.4.5", config: { slow_query_log: "sometimes" } },
    path: "spec.config.slow_query_log",
    accepted: /ON or OFF/,
  },
  {
    name: "config value not a string",
    spec: { config: { max_connections: 200 } },
    path: "spec.config.max_connections",
    accepted: /string values/,
  },
  {
    name: "config key not a parameter name",
    spec: { config: { "Max-Connections": "200" } },
    path: "spec.config.Max-Connections",
    accepted: /lower-case parameter name/,
  },
  {
    name: "too many config entries",
    spec: { config: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`p${i}`, "1"])) },
    path: "spec.config",
    accepted: /at most 20 engine parameters/,
  },
  {
    name: "cron with four fields",
    spec: { backupSchedule: "0 3 * *" },
    path: "spec.backupSchedule",
    accepted: /5 cron fields/,
  },
  {
    name: "cron minute out of range",
    spec: { backupSchedule: "61 3 * * *" },
    path: "spec.backupSchedule",
    accepted: /5 cron fields/,
  },
  {
    name: "cron unknown descriptor",
    spec: { backupSchedule: "@reboot" },
    path: "spec.backupSchedule",
    accepted: /@every <duration>/,
  },
  {
    name: "cron bad month name",
    spec: { backupSchedule: "0 3 * FOO *" },
    path: "spec.backupSchedule",
    accepted: /@daily/,
  },
  {
    name: "image with spaces",
    spec: { image: "my image" },
    path: "spec.image",
    accepted: /printable ASCII characters, without spaces/,
  },
  {
    name: "image with a NUL byte",
    spec: { image: "postgres:17\u0000evil" },
    path: "spec.image",
    accepted: /printable ASCII characters, without spaces/,
  },
  {
    name: "image with a terminal escape",
    spec: { image: "postgres:17.5\u001b[2J" },
    path: "spec.image",
    accepted: /printable ASCII characters, without spaces/,
  },
  {
    name: "unknown pvc deletion policy",
    spec: { pvcDeletionPolicy: "Orphan" },
    path: "spec.pvcDeletionPolicy",
    accepted: /Retain or Delete/,
  },
  {
    name: "name too long for child objects",
    spec: {},
    dbName: "a".repeat(53),
    path: "metadata.name",
    accepted: /at most 52 characters/,
  },
  {
    name: "name not a DNS label",
    spec: {},
    dbName: "9orders",
    path: "metadata.name",
    accepted: /DNS label/,
  },
];

for (const c of BAD) {
  Deno.test(`validation rejects ${c.name} at ${c.path} and says what is accepted`, () => {
    const newObj = db(c.spec ?? {}, c.dbName);
    const problems = validateDatabase(newObj, c.old === undefined ? undefined : db(c.old), ctx);
    const hit = problems.find((p: FieldProblem) => p.path === c.path);
    assert.ok(hit, `expected a problem at ${c.path}, got ${formatProblems(problems) || "none"}`);
    assert.match(hit.accepted, c.accepted);
    assert.ok(hit.message.startsWith(`${c.path}: `), hit.message);
    assert.ok(hit.message.includes(`accepted: ${hit.accepted}`), hit.message);
  });
}

Deno.test("the validation table covers at least 40 distinct bad specs", () => {
  assert.ok(BAD.length >= 40, `${BAD.length}`);
  assert.equal(new Set(BAD.map((c) => c.name)).size, BAD.length);
});

Deno.test("every problem is reported at once", () => {
  const problems = validateDatabase(
    db({
      replicas: 0,
      version: "99.0",
      config: { bogus: "1", work_mem: "1" },
      backupSchedule: "0 3 * *",
      resources: { requests: { cpu: "2" }, limits: { cpu: "1" } },
    }),
    undefined,
    ctx,
  );
  assert.deepEqual(problems.map((p) => p.path).sort(), [
    "spec.backupSchedule",
    "spec.config.bogus",
    "spec.config.work_mem",
    "spec.replicas",
    "spec.resources.limits.cpu",
    "spec.version",
  ]);
});

Deno.test("a problem carries the bad value and names it in the message", () => {
  const [problem] = validateDatabase(db({ replicas: 11 }), undefined, ctx);
  assert.deepEqual(problem, {
    path: "spec.replicas",
    value: 11,
    message: "spec.replicas: 11 is out of range; accepted: an integer from 1 to 10",
    accepted: "an integer from 1 to 10",
  });
});

Deno.test("allowed transitions pass: minor upgrade, one major up, storage growth on an expandable class", () => {
  const old = db({ version: "16.4", storageSize: "10Gi", storageClassName: "fast" });
  for (
    const spec of [{ version: "16.9" }, { version: "17.0" }, {
      version: "16.4",
      storageSize: "1Ti",
    }]
  ) {
    assert.deepEqual(validateDatabase(db({ storageClassName: "fast", ...spec }), old, ctx), []);
  }
});
