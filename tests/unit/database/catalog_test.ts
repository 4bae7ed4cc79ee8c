import assert from "node:assert/strict";
import {
  allowedTargets,
  applyRegistryPrefix,
  checkUpgrade,
  defaultVersion,
  describeAccepted,
  ENGINE_CATALOG,
  ENGINES,
  isSupportedVersion,
  isValidParameterValue,
  majorOf,
  MYSQL_PARAMETERS,
  POSTGRES_PARAMETERS,
  resolveImage,
  supportedVersions,
} from "../../../src/database/mod.ts";

Deno.test("every engine's default version is its newest catalog release", () => {
  for (const engine of ENGINES) {
    const versions = supportedVersions(engine);
    assert.equal(defaultVersion(engine), versions[versions.length - 1]);
    assert.ok(isSupportedVersion(engine, defaultVersion(engine)));
  }
});

Deno.test("catalog covers postgres 14-17 and mysql 8.0 and 8.4", () => {
  assert.deepEqual(ENGINE_CATALOG.postgres.majors.map((m) => m.major), ["14", "15", "16", "17"]);
  assert.deepEqual(ENGINE_CATALOG.mysql.majors.map((m) => m.major), ["8.0", "8.4"]);
  assert.equal(majorOf("postgres", "16.4"), "16");
  assert.equal(majorOf("mysql", "8.4.3"), "8.4");
});

Deno.test("images are the upstream official images, tagged with the version", () => {
  assert.equal(resolveImage("postgres", "16.4"), "docker.io/library/postgres:16.4");
  assert.equal(resolveImage("mysql", "8.4.3"), "docker.io/library/mysql:8.4.3");
});

Deno.test("a registry prefix keeps the image name and tag and replaces registry and namespace", () => {
  assert.equal(
    applyRegistryPrefix("docker.io/library/postgres:17.2", "registry.example.com/mirror"),
    "registry.example.com/mirror/postgres:17.2",
  );
  assert.equal(
    resolveImage("mysql", "8.0.40", { registryPrefix: "registry.example.com/mirror/" }),
    "registry.example.com/mirror/mysql:8.0.40",
  );
  assert.equal(
    applyRegistryPrefix("postgres@sha256:abc", "mirror:5000"),
    "mirror:5000/postgres@sha256:abc",
  );
  assert.equal(
    applyRegistryPrefix("docker.io/library/postgres:17.2", ""),
    "docker.io/library/postgres:17.2",
  );
});

Deno.test("spec.image wins over the catalog image and the registry prefix", () => {
  assert.equal(
    resolveImage("postgres", "17.5", { image: "my.registry/pg:custom", registryPrefix: "mirror" }),
    "my.registry/pg:custom",
  );
});

Deno.test("minor upgrades and one-step major upgrades are allowed", () => {
  assert.deepEqual(checkUpgrade("postgres", "16.4", "16.9"), { ok: true });
  assert.deepEqual(checkUpgrade("postgres", "16.9", "17.0"), { ok: true });
  assert.deepEqual(checkUpgrade("mysql", "8.0.36", "8.4.5"), { ok: true });
  assert.deepEqual(checkUpgrade("mysql", "8.4.5", "8.4.5"), { ok: true });
});

Deno.test("skipping a major and major downgrades are refused", () => {
  const skip = checkUpgrade("postgres", "15.8", "17.2");
  assert.equal(skip.ok, false);
  if (!skip.ok) assert.match(skip.reason, /skips a major; upgrade to 16 first/);
  const down = checkUpgrade("mysql", "8.4.0", "8.0.42");
  assert.equal(down.ok, false);
  if (!down.ok) assert.match(down.reason, /major downgrade/);
});

Deno.test("minor downgrades are allowed for postgres and mysql 8.4 but not mysql 8.0", () => {
  assert.deepEqual(checkUpgrade("postgres", "17.5", "17.0"), { ok: true });
  assert.deepEqual(checkUpgrade("mysql", "8.4.5", "8.4.0"), { ok: true });
  const result = checkUpgrade("mysql", "8.0.42", "8.0.36");
  assert.equal(result.ok, false);
  assert.ok(!allowedTargets("mysql", "8.0.40").includes("8.0.39"));
  assert.ok(allowedTargets("mysql", "8.0.40").includes("8.4.0"));
});

Deno.test("postgres parameters check type, range, units and enums", () => {
  const p = POSTGRES_PARAMETERS;
  const ok = (name: string, value: string) => isValidParameterValue("postgres", p[name]!, value);
  assert.ok(ok("max_connections", "200"));
  assert.ok(!ok("max_connections", "0"));
  assert.ok(!ok("max_connections", "lots"));
  assert.ok(ok("shared_buffers", "256MB"));
  assert.ok(ok("shared_buffers", "16384"));
  assert.ok(!ok("shared_buffers", "64kB"));
  assert.ok(!ok("shared_buffers", "256M"));
  assert.ok(ok("work_mem", "4MB"));
  assert.ok(ok("checkpoint_timeout", "5min"));
  assert.ok(ok("checkpoint_timeout", "300"));
  assert.ok(!ok("checkpoint_timeout", "10s"));
  assert.ok(ok("log_min_duration_statement", "-1"));
  assert.ok(ok("statement_timeout", "30s"));
  assert.ok(ok("wal_level", "logical"));
  assert.ok(!ok("wal_level", "archive"));
  assert.ok(ok("synchronous_commit", "remote_apply"));
  assert.ok(ok("random_page_cost", "1.1"));
  assert.ok(!ok("random_page_cost", "-1"));
  assert.ok(ok("jit", "off"));
  assert.ok(!ok("jit", "maybe"));
});

Deno.test("mysql parameters check type, range, units and enums", () => {
  const p = MYSQL_PARAMETERS;
  const ok = (name: string, value: string) => isValidParameterValue("mysql", p[name]!, value);
  assert.ok(ok("innodb_buffer_pool_size", "1G"));
  assert.ok(ok("innodb_buffer_pool_size", "134217728"));
  assert.ok(!ok("innodb_buffer_pool_size", "1M"));
  assert.ok(ok("max_allowed_packet", "64M"));
  assert.ok(!ok("max_allowed_packet", "1500"));
  assert.ok(ok("binlog_format", "row"));
  assert.ok(ok("transaction_isolation", "READ-COMMITTED"));
  assert.ok(!ok("transaction_isolation", "SNAPSHOT"));
  assert.ok(ok("slow_query_log", "ON"));
  assert.ok(ok("long_query_time", "0.5"));
  assert.ok(!ok("wait_timeout", "0"));
});

Deno.test("accepted-value descriptions name the range and units", () => {
  assert.equal(
    describeAccepted("postgres", POSTGRES_PARAMETERS.max_connections!),
    "an integer 1 to 262143",
  );
  assert.match(
    describeAccepted("postgres", POSTGRES_PARAMETERS.shared_buffers!),
    /a size 128kB to .*units B, kB, MB, GB, TB/,
  );
  assert.equal(
    describeAccepted("mysql", MYSQL_PARAMETERS.binlog_format!),
    "one of ROW, STATEMENT, MIXED",
  );
});
