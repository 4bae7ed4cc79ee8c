/**
 * Structured logging with the shape of `@std/log` (named loggers, levels,
 * handlers with a JSON and a human formatter), kept to one small module so it
 * can be swapped for `@std/log` once JSR is reachable from our builds.
 *
 * JSON lines go to stderr when it is not a terminal (what log collectors
 * expect); a terminal gets the human format.
 *
 * @example
 * ```ts
 * import { getLogger } from "./log.ts";
 * const log = getLogger("controller").child({ controller: "database" });
 * log.info("reconciled", { key: "default/db1", durationMs: 12 });
 * ```
 *
 * @module
 */

/** Severity, lowest first; `DEBUG` < `INFO` < `WARN` < `ERROR`. */
export type LevelName = "DEBUG" | "INFO" | "WARN" | "ERROR";

const LEVELS: Readonly<Record<LevelName, number>> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };

/** The level names accepted by {@link setupLogging}. */
export const LEVEL_NAMES: readonly LevelName[] = ["DEBUG", "INFO", "WARN", "ERROR"];

/** Extra key/value pairs carried by a record. */
export type LogFields = Readonly<Record<string, unknown>>;

/** One log record as handlers receive it. */
export interface LogRecord {
  readonly time: Date;
  readonly level: LevelName;
  readonly logger: string;
  readonly msg: string;
  readonly fields: LogFields;
}

/** Formats a record to one line (no trailing newline). */
export type Formatter = (record: LogRecord) => string;

/** A named logger; `child` adds fields to every record it writes. */
export interface Logger {
  readonly name: string;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

/** JSON lines: `{"time":…,"level":…,"logger":…,"msg":…,…fields}`. */
export const jsonFormatter: Formatter = (r) =>
  JSON.stringify({
    time: r.time.toISOString(),
    level: r.level.toLowerCase(),
    logger: r.logger,
    msg: r.msg,
    ...serializeFields(r.fields),
  });

/** Human format: `15:04:05.000 INFO  logger msg key=value …`. */
export const humanFormatter: Formatter = (r) => {
  const time = r.time.toISOString().slice(11, 23);
  const extras = Object.entries(serializeFields(r.fields))
    .map(([k, v]) => `${k}=${typeof v === "string" && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${time} ${r.level.padEnd(5)} ${r.logger} ${r.msg}${extras ? " " + extras : ""}`;
};

function serializeFields(fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) {
      out[key] = value.message;
      if (value.name !== "Error") out[`${key}Type`] = value.name;
    } else if (value !== undefined) {
      out[key] = value;
    }
  }
  return out;
}

interface LoggingState {
  threshold: number;
  formatter: Formatter;
  write: (line: string) => void;
}

const encoder = new TextEncoder();
const state: LoggingState = {
  threshold: LEVELS.INFO,
  formatter: defaultFormatter(),
  write: (line) => {
    Deno.stderr.writeSync(encoder.encode(line + "\n"));
  },
};

function defaultFormatter(): Formatter {
  try {
    return Deno.stderr.isTerminal() ? humanFormatter : jsonFormatter;
  } catch {
    return jsonFormatter;
  }
}

/** Options for {@link setupLogging}; omitted fields keep their current value. */
export interface LoggingOptions {
  readonly level?: LevelName;
  /** `json`, `human`, or `auto` (human on a terminal). */
  readonly format?: "json" | "human" | "auto";
  /** Where lines go; default stderr. Tests capture lines with this. */
  readonly write?: (line: string) => void;
}

/** Configures every logger at once (level, format, sink). */
export function setupLogging(options: LoggingOptions): void {
  if (options.level !== undefined) state.threshold = LEVELS[options.level];
  if (options.format !== undefined) {
    state.formatter = options.format === "json"
      ? jsonFormatter
      : options.format === "human"
      ? humanFormatter
      : defaultFormatter();
  }
  if (options.write !== undefined) state.write = options.write;
}

class NamedLogger implements Logger {
  readonly name: string;
  readonly #fields: LogFields;

  constructor(name: string, fields: LogFields) {
    this.name = name;
    this.#fields = fields;
  }

  debug(msg: string, fields?: LogFields): void {
    this.#log("DEBUG", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.#log("INFO", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.#log("WARN", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.#log("ERROR", msg, fields);
  }
  child(fields: LogFields): Logger {
    return new NamedLogger(this.name, { ...this.#fields, ...fields });
  }

  #log(level: LevelName, msg: string, fields: LogFields | undefined): void {
    if (LEVELS[level] < state.threshold) return;
    const record: LogRecord = {
      time: new Date(),
      level,
      logger: this.name,
      msg,
      fields: fields === undefined ? this.#fields : { ...this.#fields, ...fields },
    };
    try {
      state.write(state.formatter(record));
    } catch {
      // A closed or full stderr must never take the operator down.
    }
  }
}

/** Returns the logger with this name (`default` when omitted). */
export function getLogger(name = "default"): Logger {
  return new NamedLogger(name, {});
}
