/**
 * Flags and environment → one validated {@link OperatorConfig}.
 *
 * Every flag has an environment twin (`--lease-duration` ↔
 * `VIGIL_LEASE_DURATION`); a flag wins over its variable. Every bad value
 * throws a {@link ConfigError} whose message is one line naming the flag (or
 * variable), the value and what is accepted; `main.ts` prints it and exits 2.
 *
 * @module
 */
import { z } from "zod";
import { formatDurationMs, parseDurationMs } from "./duration.ts";
import { LEVEL_NAMES, type LevelName } from "./observability/log.ts";

/** A bad flag, variable or combination; `main.ts` exits 2 with its message. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * A listen address (a disabled listener, `"0"`, is no address at all).
 *
 * Every wildcard form — `:8080`, `0.0.0.0:8080`, `[::]:8080` — becomes
 * `hostname: "::"`, which listens on IPv6 and IPv4 (through v4-mapped
 * addresses) as Go's `net.Listen("tcp", …)` does for any wildcard; the
 * listeners fall back to `0.0.0.0` on a kernel without IPv6.
 */
export interface BindAddress {
  readonly hostname: string;
  readonly port: number;
}

/** The hostname of "every interface, both families" in a {@link BindAddress}. */
export const ANY_HOST = "::";

/** The whole configuration of `vigil run`. */
export interface OperatorConfig {
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
  /** Namespace to watch; `undefined` watches all namespaces. */
  readonly namespace: string | undefined;
  readonly metricsBindAddress: BindAddress | undefined;
  readonly healthProbeBindAddress: BindAddress | undefined;
  readonly webhookPort: number;
  readonly webhookCertDir: string;
  /** Generate a CA and serving certificate and wire them into the cluster (development). */
  readonly webhookSelfSigned: boolean;
  /**
   * Self-signed mode only: the apiserver reaches the webhooks at
   * `https://<host>:<webhookPort>` (a local operator); unset means through
   * the Service {@link OperatorConfig.webhookService} (in-cluster).
   */
  readonly webhookUrlHost: string | undefined;
  /** Self-signed mode only: `namespace/name` of the webhook Service. */
  readonly webhookService: string;
  readonly leaderElect: boolean;
  readonly leaderElectionNamespace: string | undefined;
  readonly leaderElectionId: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly maxConcurrentReconciles: number;
  readonly gracefulShutdownTimeoutMs: number;
  /** After SIGTERM, how long webhooks keep answering while the Service's endpoints drain. */
  readonly shutdownWebhookDrainMs: number;
  /** How long start-up keeps retrying an unreachable API server before exiting 1. */
  readonly startupTimeoutMs: number;
  /** Registry prefix that replaces the registry of every database image (air-gapped installs). */
  readonly imageRegistry: string | undefined;
  readonly logLevel: LevelName;
  readonly logFormat: "json" | "human" | "auto";
}

type Kind = "string" | "bool" | "duration" | "int" | "address" | "enum" | "path" | "port";

/** One accepted flag, for parsing and `--help`. */
export interface FlagSpec {
  readonly flag: string;
  readonly key: keyof OperatorConfig;
  readonly kind: Kind;
  readonly help: string;
  readonly default?: string;
  readonly values?: readonly string[];
  readonly min?: number;
  readonly max?: number;
}

/** Every flag `vigil run` accepts, in `--help` order. */
export const RUN_FLAGS: readonly FlagSpec[] = [
  {
    flag: "kubeconfig",
    key: "kubeconfig",
    kind: "path",
    help: "kubeconfig file (default: KUBECONFIG, ~/.kube/config, in-cluster)",
  },
  {
    flag: "context",
    key: "context",
    kind: "string",
    help: "kubeconfig context to use (default: current-context)",
  },
  {
    flag: "namespace",
    key: "namespace",
    kind: "string",
    help: "reconcile Databases in this namespace only (default: all namespaces)",
  },
  {
    flag: "metrics-bind-address",
    key: "metricsBindAddress",
    kind: "address",
    default: ":8080",
    help: "address for /metrics (:port = every interface, IPv6 and IPv4); 0 disables",
  },
  {
    flag: "health-probe-bind-address",
    key: "healthProbeBindAddress",
    kind: "address",
    default: ":8081",
    help: "address for /healthz and /readyz (:port = every interface, IPv6 and IPv4); 0 disables",
  },
  {
    flag: "webhook-port",
    key: "webhookPort",
    kind: "port",
    default: "9443",
    help: "port of the TLS webhook server",
  },
  {
    flag: "webhook-cert-dir",
    key: "webhookCertDir",
    kind: "path",
    default: "/tmp/k8s-webhook-server/serving-certs",
    help: "directory with tls.crt and tls.key (a cert-manager mount)",
  },
  {
    flag: "webhook-self-signed",
    key: "webhookSelfSigned",
    kind: "bool",
    default: "false",
    help: "generate a CA and certificate and write the caBundle into the cluster (development)",
  },
  {
    flag: "webhook-url-host",
    key: "webhookUrlHost",
    kind: "string",
    help:
      "self-signed mode: reach the webhooks at https://<host>:<webhook-port> (a local operator)",
  },
  {
    flag: "webhook-service",
    key: "webhookService",
    kind: "string",
    default: "vigil-system/vigil-webhook",
    help: "self-signed mode: namespace/name of the webhook Service (in-cluster)",
  },
  {
    flag: "leader-elect",
    key: "leaderElect",
    kind: "bool",
    default: "true",
    help: "elect a leader on a Lease before reconciling",
  },
  {
    flag: "leader-election-namespace",
    key: "leaderElectionNamespace",
    kind: "string",
    help: "namespace of the Lease (default: the pod's or the context's namespace)",
  },
  {
    flag: "leader-election-id",
    key: "leaderElectionId",
    kind: "string",
    default: "vigil-leader",
    help: "name of the Lease",
  },
  {
    flag: "lease-duration",
    key: "leaseDurationMs",
    kind: "duration",
    default: "15s",
    help: "how long followers wait before taking an unrenewed lease",
  },
  {
    flag: "renew-deadline",
    key: "renewDeadlineMs",
    kind: "duration",
    default: "10s",
    help: "how long the leader retries renewing before it steps down",
  },
  {
    flag: "retry-period",
    key: "retryPeriodMs",
    kind: "duration",
    default: "2s",
    help: "interval between leader-election attempts",
  },
  {
    flag: "max-concurrent-reconciles",
    key: "maxConcurrentReconciles",
    kind: "int",
    default: "4",
    min: 1,
    max: 64,
    help: "Database reconcile workers",
  },
  {
    flag: "graceful-shutdown-timeout",
    key: "gracefulShutdownTimeoutMs",
    kind: "duration",
    default: "30s",
    help: "how long SIGTERM waits for in-flight reconciles",
  },
  {
    flag: "shutdown-webhook-drain",
    key: "shutdownWebhookDrainMs",
    kind: "duration",
    default: "5s",
    min: 0,
    help: "after SIGTERM, how long webhooks keep answering while endpoints drain; 0 disables",
  },
  {
    flag: "startup-timeout",
    key: "startupTimeoutMs",
    kind: "duration",
    default: "2m",
    help: "how long start-up retries an unreachable API server (with backoff) before exiting 1",
  },
  {
    flag: "image-registry",
    key: "imageRegistry",
    kind: "string",
    help: "registry prefix for database images (air-gapped mirrors)",
  },
  {
    flag: "log-level",
    key: "logLevel",
    kind: "enum",
    default: "info",
    values: ["debug", "info", "warn", "error"],
    help: "lowest level logged",
  },
  {
    flag: "log-format",
    key: "logFormat",
    kind: "enum",
    default: "auto",
    values: ["json", "human", "auto"],
    help: "json lines, human, or auto (human on a terminal)",
  },
];

/** The environment variable that stands in for a flag. */
export function envName(flag: string): string {
  return "VIGIL_" + flag.toUpperCase().replaceAll("-", "_");
}

/** Injected effects, so tests need no real files or environment. */
export interface ConfigSources {
  readonly env: (name: string) => string | undefined;
  /** Whether a file can be read; default tries to open it. */
  readonly readable?: (path: string) => boolean;
}

function readableFile(path: string): boolean {
  try {
    Deno.openSync(path, { read: true }).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses `vigil run`'s arguments (without the `run` word).
 *
 * @throws {ConfigError} on an unknown flag, a missing or bad value, or an
 * inconsistent combination; the message is one line.
 */
export function parseRunConfig(args: readonly string[], sources: ConfigSources): OperatorConfig {
  const raw = new Map<FlagSpec, { value: string; from: string }>();
  const byName = new Map(RUN_FLAGS.map((s) => [s.flag, s]));
  for (const spec of RUN_FLAGS) {
    const value = sources.env(envName(spec.flag));
    if (value !== undefined && value !== "") raw.set(spec, { value, from: envName(spec.flag) });
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--")) {
      throw new ConfigError(
        `unexpected argument "${arg}" (vigil run takes only --flags; see vigil run --help)`,
      );
    }
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = byName.get(name);
    if (spec === undefined) {
      throw new ConfigError(`unknown flag --${name} (see vigil run --help for the accepted flags)`);
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (spec.kind === "bool") value = "true";
    else if (i + 1 < args.length && !args[i + 1]!.startsWith("--")) value = args[++i]!;
    else throw new ConfigError(`flag --${name} needs a value (${describe(spec)})`);
    raw.set(spec, { value, from: `--${name}` });
  }

  const out: Record<string, unknown> = {};
  for (const spec of RUN_FLAGS) {
    const given = raw.get(spec);
    const text = given?.value ?? spec.default;
    out[spec.key] = text === undefined
      ? undefined
      : convert(spec, text, given?.from ?? `--${spec.flag}`, sources);
  }
  return check(out);
}

function describe(spec: FlagSpec): string {
  switch (spec.kind) {
    case "bool":
      return "accepted: true or false";
    case "duration":
      return `accepted: a duration like 15s, 1m30s or 500ms${spec.min === 0 ? ", or 0" : ""}`;
    case "int":
      return `accepted: an integer from ${spec.min} to ${spec.max}`;
    case "port":
      return "accepted: a port from 1 to 65535";
    case "address":
      return `accepted: host:port, :port, or 0 to disable`;
    case "enum":
      return `accepted: ${spec.values?.join(", ")}`;
    case "path":
      return "accepted: a readable file path";
    case "string":
      return "accepted: a non-empty string";
  }
}

function bad(from: string, value: string, spec: FlagSpec): ConfigError {
  return new ConfigError(`invalid value ${JSON.stringify(value)} for ${from} (${describe(spec)})`);
}

function convert(spec: FlagSpec, text: string, from: string, sources: ConfigSources): unknown {
  switch (spec.kind) {
    case "bool":
      if (text === "true" || text === "false") return text === "true";
      throw bad(from, text, spec);
    case "duration": {
      const ms = parseDurationMs(text);
      // Durations are positive unless the flag says 0 (off) is accepted.
      if (ms === undefined || ms < 0 || (ms === 0 && spec.min !== 0)) throw bad(from, text, spec);
      return ms;
    }
    case "int": {
      const n = Number(text);
      if (!/^\d+$/.test(text) || n < (spec.min ?? 0) || n > (spec.max ?? Infinity)) {
        throw bad(from, text, spec);
      }
      return n;
    }
    case "port": {
      const n = Number(text);
      if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw bad(from, text, spec);
      return n;
    }
    case "address": {
      if (text === "0") return undefined;
      const match = text.match(/^(.*):(\d+)$/);
      const port = Number(match?.[2]);
      if (!match || port < 1 || port > 65535) throw bad(from, text, spec);
      const host = match[1]!.replace(/^\[(.*)\]$/, "$1");
      const wildcard = host === "" || host === "0.0.0.0" || host === "::";
      return { hostname: wildcard ? ANY_HOST : host, port } satisfies BindAddress;
    }
    case "enum":
      if (spec.values?.includes(text)) {
        return spec.key === "logLevel" ? text.toUpperCase() : text;
      }
      throw bad(from, text, spec);
    case "path": {
      if (text === "") throw bad(from, text, spec);
      if (spec.key === "kubeconfig" && !(sources.readable ?? readableFile)(text)) {
        throw new ConfigError(
          `invalid value ${
            JSON.stringify(text)
          } for ${from} (the file does not exist or is not readable; accepted: a readable kubeconfig file)`,
        );
      }
      return text;
    }
    case "string":
      if (text.trim() === "") throw bad(from, text, spec);
      return text;
  }
}

const schema = z.object({
  kubeconfig: z.string().optional(),
  context: z.string().optional(),
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
    message: "a DNS-1123 label (lowercase letters, digits, '-')",
  }).max(63).optional(),
  leaderElectionNamespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
    message: "a DNS-1123 label (lowercase letters, digits, '-')",
  }).max(63).optional(),
  leaderElectionId: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, {
    message: "a DNS-1123 subdomain (lowercase letters, digits, '-', '.')",
  }).max(253),
  logLevel: z.enum(LEVEL_NAMES as [LevelName, ...LevelName[]]),
  webhookService: z.string().regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    {
      message: "namespace/name of a Service, e.g. vigil-system/vigil-webhook",
    },
  ),
}).loose();

function check(out: Record<string, unknown>): OperatorConfig {
  const parsed = schema.safeParse(out);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0]);
    const spec = RUN_FLAGS.find((s) => s.key === key)!;
    throw new ConfigError(
      `invalid value ${JSON.stringify(out[key])} for --${spec.flag} (accepted: ${issue.message})`,
    );
  }
  const config = out as unknown as OperatorConfig;
  // client-go's leaderelection.NewLeaderElector rules.
  if (config.leaseDurationMs <= config.renewDeadlineMs) {
    throw new ConfigError(
      `invalid value "${
        formatDurationMs(config.renewDeadlineMs)
      }" for --renew-deadline (accepted: shorter than --lease-duration ${
        formatDurationMs(config.leaseDurationMs)
      })`,
    );
  }
  if (config.renewDeadlineMs <= 1.2 * config.retryPeriodMs) {
    throw new ConfigError(
      `invalid value "${
        formatDurationMs(config.retryPeriodMs)
      }" for --retry-period (accepted: under ${
        formatDurationMs(config.renewDeadlineMs / 1.2)
      }, i.e. --renew-deadline / 1.2)`,
    );
  }
  const ports = [
    ["--metrics-bind-address", config.metricsBindAddress?.port],
    ["--health-probe-bind-address", config.healthProbeBindAddress?.port],
    ["--webhook-port", config.webhookPort],
  ] as const;
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      if (ports[i]![1] !== undefined && ports[i]![1] === ports[j]![1]) {
        throw new ConfigError(
          `invalid value "${ports[j]![1]}" for ${ports[j]![0]} (accepted: a port other than ${
            ports[i]![0]
          }'s)`,
        );
      }
    }
  }
  return config;
}

/** `vigil run --help` text, generated from {@link RUN_FLAGS}. */
export function runHelp(): string {
  const lines = RUN_FLAGS.map((s) => {
    const def = s.default === undefined ? "" : ` (default ${s.default})`;
    const values = s.values ? ` [${s.values.join("|")}]` : "";
    return `  --${s.flag.padEnd(28)} ${s.help}${values}${def}\n  ${"".padEnd(30)} env: ${
      envName(s.flag)
    }`;
  });
  return `Usage: vigil run [flags]\n\nRuns the operator until SIGTERM or SIGINT.\n\nFlags:\n${
    lines.join("\n")
  }\n`;
}
