/**
 * The configuration parameters each engine knows, with their type and the
 * values they accept, and the check of a `spec.config` value against them.
 *
 * Values in `spec.config` are strings, written the way the engine's own
 * configuration file accepts them (`256MB` for PostgreSQL, `256M` for MySQL).
 *
 * @module
 */

/** The engines Vigil runs. */
export type Engine = "postgres" | "mysql";

/** How a parameter's value is written and checked. */
export type ParameterType = "int" | "real" | "size" | "duration" | "enum" | "bool";

/** One configuration parameter of an engine. */
export interface ParameterSpec {
  /** Value type. */
  readonly type: ParameterType;
  /** Inclusive lower bound: in the base unit for int/real, in bytes for size, ms for duration. */
  readonly min?: number;
  /** Inclusive upper bound, in the same unit as `min`. */
  readonly max?: number;
  /** For size and duration: what a bare number means (`kB`, `8kB`, `MB`, `B`, `ms`, `s`). */
  readonly unit?: string;
  /** For enum: the accepted values (compared case-insensitively). */
  readonly values?: readonly string[];
  /** For size: the value must be a multiple of this many bytes. */
  readonly multipleOfBytes?: number;
}

const KB = 1024;
const MB = 1024 * KB;
const GB = 1024 * MB;
const INT_MAX = 2147483647;
const UINT_MAX = 4294967295;

const PG_SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  kB: KB,
  MB: MB,
  GB: GB,
  TB: 1024 * GB,
};
const PG_TIME_UNITS: Readonly<Record<string, number>> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const MYSQL_SIZE_UNITS: Readonly<Record<string, number>> = {
  K: KB,
  M: MB,
  G: GB,
  T: 1024 * GB,
};

const pgSize = (unit: string, min: number, maxInUnits: number): ParameterSpec => ({
  type: "size",
  unit,
  min,
  max: maxInUnits * (PG_SIZE_UNITS[unit] ?? (unit === "8kB" ? 8 * KB : 1)),
});
const pgDuration = (unit: string, min: number, max: number): ParameterSpec => ({
  type: "duration",
  unit,
  min,
  max,
});
const int = (min: number, max: number): ParameterSpec => ({ type: "int", min, max });
const real = (min: number, max: number): ParameterSpec => ({ type: "real", min, max });
const oneOf = (...values: string[]): ParameterSpec => ({ type: "enum", values });
const bool: ParameterSpec = { type: "bool" };
const mySize = (min: number, max: number, multipleOfBytes?: number): ParameterSpec =>
  multipleOfBytes === undefined
    ? { type: "size", unit: "B", min, max }
    : { type: "size", unit: "B", min, max, multipleOfBytes };

/** PostgreSQL 14–17 parameters Vigil lets users set (names and ranges from `pg_settings`). */
export const POSTGRES_PARAMETERS: Readonly<Record<string, ParameterSpec>> = {
  autovacuum: bool,
  autovacuum_max_workers: int(1, 262143),
  autovacuum_naptime: pgDuration("s", 1000, 2147483 * 1000),
  checkpoint_completion_target: real(0, 1),
  checkpoint_timeout: pgDuration("s", 30_000, 86_400_000),
  default_statistics_target: int(1, 10000),
  effective_cache_size: pgSize("8kB", 8 * KB, INT_MAX),
  effective_io_concurrency: int(0, 1000),
  huge_pages: oneOf("off", "on", "try"),
  idle_in_transaction_session_timeout: pgDuration("ms", 0, INT_MAX),
  jit: bool,
  lock_timeout: pgDuration("ms", 0, INT_MAX),
  log_connections: bool,
  log_disconnections: bool,
  log_min_duration_statement: pgDuration("ms", -1, INT_MAX),
  log_statement: oneOf("none", "ddl", "mod", "all"),
  maintenance_work_mem: pgSize("kB", MB, INT_MAX),
  max_connections: int(1, 262143),
  max_parallel_workers: int(0, 1024),
  max_parallel_workers_per_gather: int(0, 1024),
  max_replication_slots: int(0, 262143),
  max_wal_senders: int(0, 262143),
  max_wal_size: pgSize("MB", 2 * MB, INT_MAX),
  max_worker_processes: int(0, 262143),
  min_wal_size: pgSize("MB", 2 * MB, INT_MAX),
  random_page_cost: real(0, 1e10),
  seq_page_cost: real(0, 1e10),
  shared_buffers: pgSize("8kB", 128 * KB, 1073741823),
  statement_timeout: pgDuration("ms", 0, INT_MAX),
  synchronous_commit: oneOf("on", "off", "local", "remote_write", "remote_apply"),
  temp_buffers: pgSize("8kB", 800 * KB, 1073741823),
  wal_keep_size: pgSize("MB", 0, INT_MAX),
  wal_level: oneOf("minimal", "replica", "logical"),
  work_mem: pgSize("kB", 64 * KB, INT_MAX),
};

/** MySQL 8.0 / 8.4 server system variables Vigil lets users set. */
export const MYSQL_PARAMETERS: Readonly<Record<string, ParameterSpec>> = {
  binlog_expire_logs_seconds: int(0, UINT_MAX),
  binlog_format: oneOf("ROW", "STATEMENT", "MIXED"),
  character_set_server: oneOf("utf8mb4", "utf8mb3", "latin1", "ascii", "binary"),
  innodb_buffer_pool_size: mySize(5 * MB, Number.MAX_SAFE_INTEGER),
  innodb_flush_log_at_trx_commit: oneOf("0", "1", "2"),
  innodb_flush_method: oneOf(
    "fsync",
    "O_DSYNC",
    "littlesync",
    "nosync",
    "O_DIRECT",
    "O_DIRECT_NO_FSYNC",
  ),
  innodb_io_capacity: int(100, Number.MAX_SAFE_INTEGER),
  innodb_log_file_size: mySize(4 * MB, 512 * GB),
  innodb_redo_log_capacity: mySize(8 * MB, 128 * GB),
  interactive_timeout: int(1, 31536000),
  long_query_time: real(0, 31536000),
  max_allowed_packet: mySize(KB, GB, KB),
  max_connections: int(1, 100000),
  max_heap_table_size: mySize(16 * KB, Number.MAX_SAFE_INTEGER, KB),
  performance_schema: bool,
  slow_query_log: bool,
  sort_buffer_size: mySize(32 * KB, Number.MAX_SAFE_INTEGER),
  sync_binlog: int(0, UINT_MAX),
  table_open_cache: int(1, 524288),
  thread_cache_size: int(0, 16384),
  tmp_table_size: mySize(KB, Number.MAX_SAFE_INTEGER),
  transaction_isolation: oneOf(
    "READ-UNCOMMITTED",
    "READ-COMMITTED",
    "REPEATABLE-READ",
    "SERIALIZABLE",
  ),
  wait_timeout: int(1, 31536000),
};

/** The parameter table of an engine. */
export function engineParameters(engine: Engine): Readonly<Record<string, ParameterSpec>> {
  return engine === "postgres" ? POSTGRES_PARAMETERS : MYSQL_PARAMETERS;
}

const INT_RE = /^[+-]?[0-9]+$/;
const REAL_RE = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
const PG_BOOLS = ["on", "off", "true", "false", "yes", "no", "1", "0"];
const MYSQL_BOOLS = ["on", "off", "true", "false", "1", "0"];

function baseUnitBytes(engine: Engine, unit: string): number {
  if (engine === "mysql") return 1;
  return unit === "8kB" ? 8 * KB : PG_SIZE_UNITS[unit] ?? 1;
}

/** Parses a size into bytes, or undefined when it is not a size for this engine. */
function parseSize(engine: Engine, spec: ParameterSpec, value: string): number | undefined {
  const match = /^([0-9]+)\s*([A-Za-z]*)$/.exec(value);
  if (match === null) return undefined;
  const amount = Number(match[1]);
  const suffix = match[2] ?? "";
  if (suffix === "") return amount * baseUnitBytes(engine, spec.unit ?? "B");
  const factor = engine === "postgres"
    ? PG_SIZE_UNITS[suffix]
    : MYSQL_SIZE_UNITS[suffix.toUpperCase()];
  return factor === undefined ? undefined : amount * factor;
}

/** Parses a PostgreSQL duration into milliseconds, or undefined. */
function parseDuration(spec: ParameterSpec, value: string): number | undefined {
  const match = /^(-?[0-9]+)\s*([a-z]*)$/.exec(value);
  if (match === null) return undefined;
  const amount = Number(match[1]);
  const suffix = match[2] ?? "";
  const factor = PG_TIME_UNITS[suffix === "" ? spec.unit ?? "ms" : suffix];
  return factor === undefined ? undefined : amount * factor;
}

function range(spec: ParameterSpec, format: (n: number) => string): string {
  const low = spec.min === undefined ? "" : format(spec.min);
  const high = spec.max === undefined || spec.max >= Number.MAX_SAFE_INTEGER
    ? ""
    : format(spec.max);
  if (high === "") return `at least ${low}`;
  return `${low} to ${high}`;
}

function formatBytes(n: number, engine: Engine = "postgres"): string {
  const units = engine === "postgres" ? ["TB", "GB", "MB", "kB", "B"] : ["T", "G", "M", "K", ""];
  const factors = [1024 * GB, GB, MB, KB];
  for (const [i, factor] of factors.entries()) {
    if (n >= factor && n % factor === 0) return `${n / factor}${units[i]}`;
  }
  return `${n}${units[4]}`;
}

/** Describes, for an error message, what values a parameter accepts. */
export function describeAccepted(engine: Engine, spec: ParameterSpec): string {
  switch (spec.type) {
    case "int":
      return `an integer ${range(spec, String)}`;
    case "real":
      return `a number ${range(spec, String)}`;
    case "bool":
      return engine === "postgres"
        ? "on or off (also true/false, yes/no, 1/0)"
        : "ON or OFF (also 1/0)";
    case "enum":
      return `one of ${(spec.values ?? []).join(", ")}`;
    case "duration":
      return `a duration ${range(spec, (n) => `${n}ms`)}; bare numbers are in ${spec.unit}; ` +
        "units us, ms, s, min, h, d";
    case "size": {
      const units = engine === "postgres" ? "B, kB, MB, GB, TB" : "K, M, G, T";
      const multiple = spec.multipleOfBytes
        ? `, a multiple of ${formatBytes(spec.multipleOfBytes, engine)}`
        : "";
      return `a size ${
        range(spec, (n) => formatBytes(n, engine))
      }${multiple}; bare numbers are in ${
        engine === "postgres" ? spec.unit : "bytes"
      }; units ${units}`;
    }
  }
}

function within(spec: ParameterSpec, n: number): boolean {
  return (spec.min === undefined || n >= spec.min) && (spec.max === undefined || n <= spec.max);
}

/** Returns true when `value` is valid for the parameter. */
export function isValidParameterValue(engine: Engine, spec: ParameterSpec, value: string): boolean {
  switch (spec.type) {
    case "int":
      return INT_RE.test(value) && within(spec, Number(value));
    case "real":
      return REAL_RE.test(value) && within(spec, Number(value));
    case "bool":
      return (engine === "postgres" ? PG_BOOLS : MYSQL_BOOLS).includes(value.toLowerCase());
    case "enum":
      return (spec.values ?? []).some((v) => v.toLowerCase() === value.toLowerCase());
    case "duration": {
      const ms = parseDuration(spec, value);
      return ms !== undefined && within(spec, ms);
    }
    case "size": {
      const bytes = parseSize(engine, spec, value);
      return bytes !== undefined && within(spec, bytes) &&
        (spec.multipleOfBytes === undefined || bytes % spec.multipleOfBytes === 0);
    }
  }
}
