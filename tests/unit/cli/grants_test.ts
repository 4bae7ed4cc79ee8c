import assert from "node:assert/strict";
import { ConfigError, parseRunConfig } from "../../../src/config.ts";
import { checkApiServerGrant, checkListenerGrants, netHost } from "../../../src/cli/grants.ts";
import { BASE_NET, BASE_READ } from "../../../tools/permissions.ts";

/** What tools/permissions.ts grants, judged as Deno does for the forms it uses. */
const binary = {
  net(host: string) {
    return BASE_NET.some((grant) => grant === host || host.startsWith(`${grant}:`));
  },
  read(path: string) {
    return BASE_READ.some((grant) => path === grant || path.startsWith(`${grant}/`));
  },
};

const config = (...args: string[]) =>
  parseRunConfig(args, { env: () => undefined, readable: () => true });

Deno.test("the binary's grants cover the default flags and any port on wildcard and loopback listeners", () => {
  checkListenerGrants(config(), binary);
  checkListenerGrants(
    config(
      "--webhook-port=10443",
      "--metrics-bind-address=127.0.0.1:18080",
      "--health-probe-bind-address=[::1]:18081",
    ),
    binary,
  );
  checkApiServerGrant("https://kubernetes.default.svc:6443", "in-cluster", binary);
});

Deno.test("a listener, certificate directory or API server outside the grants is a ConfigError naming the flag and the grant to add", () => {
  const refused = (fn: () => void, ...patterns: RegExp[]) =>
    assert.throws(fn, (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.message.split("\n").length, 1);
      for (const p of patterns) assert.match(err.message, p);
      return true;
    });
  refused(
    () => checkListenerGrants(config("--metrics-bind-address=10.1.2.3:8080"), binary),
    /"10\.1\.2\.3:8080" for --metrics-bind-address/,
    /VIGIL_ALLOW_NET=10\.1\.2\.3:8080/,
  );
  refused(
    () => checkListenerGrants(config("--health-probe-bind-address=[fd00::1]:8081"), binary),
    /--health-probe-bind-address/,
    /VIGIL_ALLOW_NET=\[fd00::1\]:8081/,
  );
  refused(
    () => checkListenerGrants(config("--webhook-cert-dir=/etc/vigil/certs"), binary),
    /"\/etc\/vigil\/certs" for --webhook-cert-dir/,
    /VIGIL_ALLOW_READ=\/etc\/vigil\/certs/,
  );
  refused(
    () => checkApiServerGrant("https://10.96.0.1", "in-cluster", binary),
    /10\.96\.0\.1 \(from in-cluster\)/,
    /VIGIL_ALLOW_NET=10\.96\.0\.1:443/,
  );
});

Deno.test("self-signed mode needs no certificate directory", () => {
  checkListenerGrants(
    config("--webhook-self-signed", "--webhook-cert-dir=/etc/vigil/certs"),
    binary,
  );
});

Deno.test("netHost brackets IPv6 addresses as --allow-net spells them", () => {
  assert.equal(netHost("::", 8080), "[::]:8080");
  assert.equal(netHost("0.0.0.0", 8080), "0.0.0.0:8080");
});
