import assert from "node:assert/strict";
import { ConfigError, envName, parseRunConfig, RUN_FLAGS, runHelp } from "../../src/config.ts";

const noEnv = { env: () => undefined, readable: () => true };

function fails(args: string[], pattern: RegExp, env: Record<string, string> = {}, readable = true) {
  assert.throws(
    () => parseRunConfig(args, { env: (n) => env[n], readable: () => readable }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.message.split("\n").length, 1, "the message is one line");
      assert.match(err.message, pattern);
      return true;
    },
  );
}

Deno.test("defaults match controller-runtime's and client-go's", () => {
  const c = parseRunConfig([], noEnv);
  assert.deepEqual(c.metricsBindAddress, { hostname: "::", port: 8080 });
  assert.deepEqual(c.healthProbeBindAddress, { hostname: "::", port: 8081 });
  assert.equal(c.webhookPort, 9443);
  assert.equal(c.leaderElect, true);
  assert.equal(c.leaseDurationMs, 15_000);
  assert.equal(c.renewDeadlineMs, 10_000);
  assert.equal(c.retryPeriodMs, 2_000);
  assert.equal(c.gracefulShutdownTimeoutMs, 30_000);
  assert.equal(c.shutdownWebhookDrainMs, 5_000);
  assert.equal(c.startupTimeoutMs, 120_000);
  assert.equal(c.logLevel, "INFO");
  assert.equal(c.kubeconfig, undefined);
});

Deno.test("flags take --name=value and --name value forms, and bools need no value", () => {
  const c = parseRunConfig(
    [
      "--lease-duration",
      "20s",
      "--renew-deadline=12s",
      "--leader-elect=false",
      "--webhook-self-signed",
    ],
    noEnv,
  );
  assert.equal(c.leaseDurationMs, 20_000);
  assert.equal(c.renewDeadlineMs, 12_000);
  assert.equal(c.leaderElect, false);
  assert.equal(c.webhookSelfSigned, true);
});

Deno.test("an environment variable sets a flag, and the flag wins over it", () => {
  const env = { VIGIL_LOG_LEVEL: "debug", VIGIL_MAX_CONCURRENT_RECONCILES: "8" };
  const fromEnv = parseRunConfig([], { env: (n) => env[n as keyof typeof env] });
  assert.equal(fromEnv.logLevel, "DEBUG");
  assert.equal(fromEnv.maxConcurrentReconciles, 8);
  const flagWins = parseRunConfig(["--log-level=error"], {
    env: (n) => env[n as keyof typeof env],
  });
  assert.equal(flagWins.logLevel, "ERROR");
});

Deno.test("every flag has an environment twin named VIGIL_<FLAG>", () => {
  assert.equal(envName("lease-duration"), "VIGIL_LEASE_DURATION");
  const help = runHelp();
  for (const spec of RUN_FLAGS) {
    assert.ok(help.includes(`--${spec.flag}`), spec.flag);
    assert.ok(help.includes(envName(spec.flag)), spec.flag);
  }
});

Deno.test("address 0 disables a listener; :port, 0.0.0.0:port and [::]:port listen on both families, as Go's tcp listener does", () => {
  for (const host of ["", "0.0.0.0", "[::]", "::"]) {
    const c = parseRunConfig([`--metrics-bind-address=${host}:9100`], noEnv);
    assert.deepEqual(c.metricsBindAddress, { hostname: "::", port: 9100 }, host);
  }
  const c = parseRunConfig([
    "--metrics-bind-address=0",
    "--health-probe-bind-address=127.0.0.1:9000",
  ], noEnv);
  assert.equal(c.metricsBindAddress, undefined);
  assert.deepEqual(c.healthProbeBindAddress, { hostname: "127.0.0.1", port: 9000 });
  const v6 = parseRunConfig(["--health-probe-bind-address=[::1]:9001"], noEnv);
  assert.deepEqual(v6.healthProbeBindAddress, { hostname: "::1", port: 9001 });
});

Deno.test("an unknown flag is refused with a pointer to --help", () => {
  fails(["--verbose"], /unknown flag --verbose .*vigil run --help/);
});

Deno.test("a positional argument is refused", () => {
  fails(["now"], /unexpected argument "now"/);
});

Deno.test("a flag without its value is refused and says what it takes", () => {
  fails(["--lease-duration"], /--lease-duration needs a value \(accepted: a duration/);
});

Deno.test("a bad duration names the flag, the value and the accepted form", () => {
  fails(
    ["--lease-duration=15"],
    /invalid value "15" for --lease-duration: missing unit \(accepted: a duration like 15s/,
  );
  fails(["--retry-period=-2s"], /"-2s" for --retry-period: negative/);
  fails(["--graceful-shutdown-timeout=0"], /"0" for --graceful-shutdown-timeout: zero/);
  fails(["--lease-duration=1d"], /"1d" for --lease-duration: unknown unit "d"/);
});

Deno.test("the webhook drain accepts 0 (off), which other durations refuse", () => {
  assert.equal(parseRunConfig(["--shutdown-webhook-drain=0"], noEnv).shutdownWebhookDrainMs, 0);
  assert.equal(
    parseRunConfig([], { env: (n) => n === "VIGIL_SHUTDOWN_WEBHOOK_DRAIN" ? "2500ms" : undefined })
      .shutdownWebhookDrainMs,
    2_500,
  );
  fails(
    ["--shutdown-webhook-drain=-1s"],
    /"-1s" for --shutdown-webhook-drain: negative \(accepted: .*or 0\)/,
  );
  fails(["--startup-timeout=0"], /"0" for --startup-timeout/);
});

Deno.test("a bad bool names the flag and accepts only true or false", () => {
  fails(
    ["--leader-elect=yes"],
    /invalid value "yes" for --leader-elect \(accepted: true or false\)/,
  );
});

Deno.test("a port out of range is refused", () => {
  fails(["--webhook-port=0"], /"0" for --webhook-port \(accepted: a port from 1 to 65535\)/);
  fails(["--webhook-port=70000"], /"70000" for --webhook-port/);
  fails(
    ["--metrics-bind-address=:99999"],
    /":99999" for --metrics-bind-address \(accepted: host:port, :port, or 0/,
  );
  fails(["--metrics-bind-address=localhost"], /"localhost" for --metrics-bind-address/);
});

Deno.test("two listeners on one port are refused", () => {
  fails(
    ["--webhook-port=8080"],
    /"8080" for --webhook-port \(accepted: a port other than --metrics-bind-address's\)/,
  );
});

Deno.test("an integer out of range is refused with the range", () => {
  fails(["--max-concurrent-reconciles=0"], /accepted: an integer from 1 to 64/);
  fails(["--max-concurrent-reconciles=2.5"], /"2.5"/);
});

Deno.test("an unknown enum value lists the accepted ones", () => {
  fails(["--log-level=trace"], /"trace" for --log-level \(accepted: debug, info, warn, error\)/);
  fails(["--log-format=xml"], /accepted: json, human, auto/);
});

Deno.test("an unreadable kubeconfig is refused at parse time", () => {
  fails(
    ["--kubeconfig=/nope"],
    /"\/nope" for --kubeconfig: the file does not exist or is not readable \(accepted: a readable kubeconfig file\)/,
    {},
    false,
  );
});

Deno.test("a bad environment value names the variable, not a flag", () => {
  fails([], /invalid value "often" for VIGIL_RETRY_PERIOD/, { VIGIL_RETRY_PERIOD: "often" });
});

Deno.test("client-go's leader-election timing rules are enforced", () => {
  fails(
    ["--lease-duration=10s", "--renew-deadline=10s"],
    /--renew-deadline \(accepted: shorter than --lease-duration 10s\)/,
  );
  fails(["--renew-deadline=2s", "--retry-period=2s"], /--retry-period \(accepted: under/);
});

Deno.test("names must be DNS labels", () => {
  fails(["--namespace=Prod"], /"Prod" for --namespace \(accepted: a DNS-1123 label/);
  fails(
    ["--leader-election-id=Vigil_Leader"],
    /for --leader-election-id \(accepted: a DNS-1123 subdomain/,
  );
  fails(["--context="], /"" for --context \(accepted: a non-empty string\)/);
});

Deno.test("the webhook Service must be namespace/name", () => {
  assert.equal(parseRunConfig([], noEnv).webhookService, "vigil-system/vigil-webhook");
  fails(
    ["--webhook-service=vigil-webhook"],
    /"vigil-webhook" for --webhook-service \(accepted: namespace\/name of a Service/,
  );
});

Deno.test("duration flags take every form Go's time.ParseDuration takes", () => {
  const c = parseRunConfig(
    [
      "--lease-duration=1m0.5s",
      "--renew-deadline=.5m",
      "--retry-period=2500000µs",
      "--graceful-shutdown-timeout=+1h2m3.5s",
      "--startup-timeout=90000000000ns",
    ],
    noEnv,
  );
  assert.equal(c.leaseDurationMs, 60_500);
  assert.equal(c.renewDeadlineMs, 30_000);
  assert.equal(c.retryPeriodMs, 2_500);
  assert.equal(c.gracefulShutdownTimeoutMs, 3_723_500);
  assert.equal(c.startupTimeoutMs, 90_000);
});

Deno.test("a flag followed by another flag instead of its value is refused", () => {
  fails(["--namespace", "--leader-elect"], /flag --namespace needs a value \(accepted: a DNS-1123/);
});

Deno.test("short flags and arguments after -- are refused by name", () => {
  fails(["-n", "prod"], /unknown flag -n \(see vigil run --help/);
  fails(["--", "--namespace=prod"], /unexpected argument "--namespace=prod"/);
});

Deno.test("a name longer than a DNS label allows says so", () => {
  fails(
    [`--namespace=${"a".repeat(64)}`],
    /for --namespace: longer than 63 characters \(accepted: a DNS-1123 label/,
  );
});

Deno.test("the last of a repeated flag wins, as with Go's pflag", () => {
  assert.equal(
    parseRunConfig(["--log-level=debug", "--log-level", "warn"], noEnv).logLevel,
    "WARN",
  );
});

Deno.test("the webhook URL host is a DNS name or an IP address, and an IPv6 one loses its brackets", () => {
  assert.equal(parseRunConfig(["--webhook-url-host=127.0.0.1"], noEnv).webhookUrlHost, "127.0.0.1");
  assert.equal(parseRunConfig(["--webhook-url-host=[::1]"], noEnv).webhookUrlHost, "::1");
  assert.equal(
    parseRunConfig(["--webhook-url-host=fd00::10:1"], noEnv).webhookUrlHost,
    "fd00::10:1",
  );
  assert.equal(
    parseRunConfig(["--webhook-url-host=vigil.example.com"], noEnv).webhookUrlHost,
    "vigil.example.com",
  );
  fails(
    ["--webhook-url-host=127.0.0.256"],
    /invalid value "127.0.0.256" for --webhook-url-host: not an IP address \(accepted: a DNS name .* or an IP address/,
  );
  fails(
    ["--webhook-url-host=1::2::3"],
    /invalid value "1::2::3" for --webhook-url-host: not an IP address/,
  );
  fails(
    ["--webhook-url-host=Vigil_Host"],
    /invalid value "Vigil_Host" for --webhook-url-host: not a DNS name/,
  );
  fails(["--webhook-url-host=-x.example"], /not a DNS name/);
});
