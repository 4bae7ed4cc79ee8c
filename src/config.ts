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
import { parseArgs } from "node:util";
import { z } from "zod";
import { DurationError, formatDurationMs, parseDurationMs } from "./duration.ts";
import { ipAddressBytes, isIpLiteral } from "./ip_address.ts";
import type { LevelName } from "./observability/log.ts";

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

type Kind = "string" | "bool" | "duration" | "int" | "address" | "enum" | "path" | "port" | "host";

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
  /** Strings only: the form a value must have… */
  readonly pattern?: RegExp;
  /** …and its longest length. */
  readonly maxLength?: number;
  /** What is accepted, in words, when the kind does not say it all. */
  readonly accepted?: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_ACCEPTED = "a DNS-1123 label (lowercase letters, digits, '-', at most 63)";
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Every flag `vigil run` accepts, in `--help` order. */
export const RUN_FLAGS: readonly FlagSpec[] = [
  {
    flag: "kubeconfig",
    key: "kubeconfig",
    kind: "path",
    accepted: "a readable kubeconfig file",
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
    pattern: DNS_LABEL,
    maxLength: 63,
    accepted: DNS_LABEL_ACCEPTED,
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
    kind: "host",
    help:
      "self-signed mode: reach the webhooks at https://<host>:<webhook-port> (a local operator)",
  },
  {
    flag: "webhook-service",
    key: "webhookService",
    kind: "string",
    default: "vigil-system/vigil-webhook",
    pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    accepted: "namespace/name of a Service, e.g. vigil-system/vigil-webhook",
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
    pattern: DNS_LABEL,
    maxLength: 63,
    accepted: DNS_LABEL_ACCEPTED,
    help: "namespace of the Lease (default: the pod's or the context's namespace)",
  },
  {
    flag: "leader-election-id",
    key: "leaderElectionId",
    kind: "string",
    default: "vigil-leader",
    pattern: /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
    maxLength: 253,
    accepted: "a DNS-1123 subdomain (lowercase letters, digits, '-', '.', at most 253)",
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
    // CloudNativePG's default. A reconcile mostly waits on the API server, and
    // 4 workers fell behind 30 spec changes/s at 1,000 Databases on the load
    // bench (p50 46 s against 19 s with 10; issue 12's note has the figures).
    default: "10",
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

/** A value as given, and where: `--flag` or `VIGIL_FLAG`. */
interface Given {
  readonly value: string;
  readonly from: string;
}

/**
 * Parses `vigil run`'s arguments (without the `run` word).
 *
 * `node:util`'s `parseArgs` splits the arguments (`--flag=value`,
 * `--flag value`, `--`); each value is then read by its flag's zod schema.
 * A bool flag alone means true, and takes `=true`/`=false` as Go's pflag does.
 *
 * @throws {ConfigError} on an unknown flag, a missing or bad value, or an
 * inconsistent combination; the message is one line naming the flag (or
 * variable), the value and what is accepted.
 */
export function parseRunConfig(args: readonly string[], sources: ConfigSources): OperatorConfig {
  const given = new Map<FlagSpec, Given>();
  for (const spec of RUN_FLAGS) {
    const value = sources.env(envName(spec.flag));
    if (value !== undefined && value !== "") given.set(spec, { value, from: envName(spec.flag) });
  }
  for (const [spec, value] of readArgs(args)) given.set(spec, value);

  const out: Record<string, unknown> = {};
  for (const spec of RUN_FLAGS) {
    const text = given.get(spec)?.value ?? spec.default;
    out[spec.key] = text === undefined
      ? undefined
      : readValue(spec, text, given.get(spec)?.from ?? `--${spec.flag}`, sources);
  }
  return checkCombinations(out as unknown as OperatorConfig);
}

/** The flags in `args`, split by `parseArgs`; later ones win. */
function readArgs(args: readonly string[]): Map<FlagSpec, Given> {
  const byName = new Map(RUN_FLAGS.map((s) => [s.flag, s]));
  const { tokens } = parseArgs({
    args: [...args],
    options: Object.fromEntries(
      RUN_FLAGS.map((s) => [s.flag, { type: s.kind === "bool" ? "boolean" : "string" }] as const),
    ),
    // Unknown flags, positionals and `--bool=false` come back as tokens, for
    // messages of our own instead of parseArgs' generic ones.
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const given = new Map<FlagSpec, Given>();
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") {
      throw new ConfigError(
        `unexpected argument ${
          JSON.stringify(token.value)
        } (vigil run takes only --flags; see vigil run --help)`,
      );
    }
    const spec = token.rawName.startsWith("--") ? byName.get(token.name) : undefined;
    if (spec === undefined) {
      throw new ConfigError(
        `unknown flag ${token.rawName} (see vigil run --help for the accepted flags)`,
      );
    }
    let value = token.value;
    if (spec.kind === "bool") value ??= "true";
    // parseArgs takes the next argument as the value even when it is a flag.
    if (value === undefined || (token.inlineValue === false && value.startsWith("--"))) {
      throw new ConfigError(`flag --${spec.flag} needs a value (accepted: ${accepted(spec)})`);
    }
    given.set(spec, { value, from: `--${spec.flag}` });
  }
  return given;
}

/** What a flag accepts, in words, for "accepted: …". */
function accepted(spec: FlagSpec): string {
  if (spec.accepted !== undefined) return spec.accepted;
  switch (spec.kind) {
    case "bool":
      return "true or false";
    case "duration":
      return `a duration like 15s, 1m30s, .5s or 500ms, in units ns, us, ms, s, m, h${
        spec.min === 0 ? "; or 0" : ""
      }`;
    case "int":
      return `an integer from ${spec.min} to ${spec.max}`;
    case "port":
      return "a port from 1 to 65535";
    case "address":
      return "host:port, :port, or 0 to disable";
    case "enum":
      return spec.values?.join(", ") ?? "";
    case "path":
      return "a readable file path";
    case "string":
      return "a non-empty string";
    case "host":
      return "a DNS name (lowercase DNS-1123 subdomain) or an IP address, IPv6 with or without brackets";
  }
}

/** Says what is wrong with a value beyond "not accepted", as a zod issue's `params`. */
const problem = (text: string) => ({ params: { problem: text } });

/** The zod schema that reads one flag's text into its value. */
function valueSchema(spec: FlagSpec, sources: ConfigSources): z.ZodType<unknown, string> {
  const text = z.string();
  const integer = (min: number, max: number) =>
    text.regex(/^\d+$/).transform(Number).pipe(z.number().min(min).max(max));
  switch (spec.kind) {
    case "bool":
      return z.enum(["true", "false"]).transform((v) => v === "true");
    case "duration":
      return text.transform((value, ctx) => {
        let ms: number;
        try {
          ms = parseDurationMs(value);
        } catch (err) {
          if (!(err instanceof DurationError)) throw err;
          ctx.issues.push({ code: "custom", input: value, ...problem(err.problem) });
          return z.NEVER;
        }
        // Durations are positive unless the flag says 0 (off) is accepted.
        if (ms < 0 || (ms === 0 && spec.min !== 0)) {
          ctx.issues.push({
            code: "custom",
            input: value,
            ...problem(ms < 0 ? "negative" : "zero"),
          });
          return z.NEVER;
        }
        return ms;
      });
    case "int":
      return integer(spec.min ?? 0, spec.max ?? Number.MAX_SAFE_INTEGER);
    case "port":
      return integer(1, 65535);
    case "address":
      return text.transform((value, ctx): BindAddress | undefined => {
        if (value === "0") return undefined;
        const match = value.match(/^(.*):(\d+)$/);
        const port = Number(match?.[2]);
        if (!match || port < 1 || port > 65535) {
          ctx.issues.push({ code: "custom", input: value });
          return z.NEVER;
        }
        const host = match[1]!.replace(/^\[(.*)\]$/, "$1");
        const wildcard = host === "" || host === "0.0.0.0" || host === "::";
        return { hostname: wildcard ? ANY_HOST : host, port };
      });
    case "enum":
      return z.enum((spec.values ?? []) as [string, ...string[]]).transform((v) =>
        spec.key === "logLevel" ? v.toUpperCase() : v
      );
    case "path":
      return text.min(1).refine(
        (path) => spec.key !== "kubeconfig" || (sources.readable ?? readableFile)(path),
        problem("the file does not exist or is not readable"),
      );
    case "host":
      return text.transform((value, ctx) => {
        const host = value.replace(/^\[(.*)\]$/, "$1");
        if (isIpLiteral(host)) {
          try {
            ipAddressBytes(host);
          } catch {
            ctx.issues.push({ code: "custom", input: value, ...problem("not an IP address") });
            return z.NEVER;
          }
        } else if (host.length > 253 || !DNS_SUBDOMAIN.test(host)) {
          ctx.issues.push({ code: "custom", input: value, ...problem("not a DNS name") });
          return z.NEVER;
        }
        return host;
      });
    case "string": {
      const nonEmpty = text.refine((v) => v.trim() !== "");
      if (spec.pattern === undefined) return nonEmpty;
      const max = spec.maxLength ?? Infinity;
      return nonEmpty
        .refine((v) => v.length <= max, problem(`longer than ${max} characters`))
        .refine((v) => spec.pattern!.test(v));
    }
  }
}

function readValue(spec: FlagSpec, text: string, from: string, sources: ConfigSources): unknown {
  const parsed = valueSchema(spec, sources).safeParse(text);
  if (parsed.success) return parsed.data;
  const what = parsed.error.issues
    .map((i) => i.code === "custom" ? (i.params as { problem?: string } | undefined)?.problem : "")
    .find((p) => p !== undefined && p !== "");
  throw new ConfigError(
    `invalid value ${JSON.stringify(text)} for ${from}${
      what === undefined ? "" : `: ${what}`
    } (accepted: ${accepted(spec)})`,
  );
}

function checkCombinations(config: OperatorConfig): OperatorConfig {
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
