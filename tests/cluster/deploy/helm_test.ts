/**
 * The chart `deploy/helm/vigil/` with the real Helm (v4.3.2, built from its
 * module by tests/support/helm.ts): `helm lint --strict` passes; `helm
 * template` renders `deploy/vigil.yaml`'s objects for the default values and
 * the builders' objects for other values; `values.schema.json` stops bad
 * values with Helm's error naming them; the binary, under exactly the grants
 * the chart's values imply, serves on the ports they name; and `helm
 * install`, `upgrade`, `uninstall` on a private plane (the chart registers
 * fail-closed webhooks for Databases, which must not reach the shared one)
 * leave the cluster as expected, the CRD kept.
 *
 * How the objects are compared: parsed and sorted by kind, namespace and
 * name. The chart ships no Namespace (`helm install --create-namespace`
 * makes it), so `deploy/vigil.yaml`'s is left out, and Helm's objects say
 * `app.kubernetes.io/managed-by: Helm` where the manifest says `kubectl`.
 * The CRD is a template (not in `crds/`), annotated
 * `helm.sh/resource-policy: keep`: Helm upgrades it with the chart (a
 * `crds/` CRD is installed once and never upgraded, and cannot follow the
 * release's namespace or `certManager.enabled`), and keeps it on uninstall,
 * as it does for `crds/` — deleting it would delete every Database.
 */
import assert from "node:assert/strict";
import YAML from "yaml";
import { startPlane } from "../../support/plane.ts";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import { startVigil } from "../../support/vigil_process.ts";
import { freePorts } from "../../support/ports.ts";
import { Helm } from "../../support/helm.ts";
import { generateSelfSigned, writeCertDirectory } from "../../../src/webhook/mod.ts";
import {
  binaryGrants,
  buildManifest,
  type InstallOptions,
  type KubeObject,
  NAMESPACE,
  resolveInstallOptions,
} from "../../../src/distribution/mod.ts";
import { monitoringObjects } from "../../../src/distribution/monitoring/mod.ts";
import { admit, trustingClient } from "../cli/_admission.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const ROOT = new URL("../../../", import.meta.url).pathname;
const CHART = `${ROOT}deploy/helm/vigil`;
const MANIFEST = `${ROOT}deploy/vigil.yaml`;
const MANAGED_BY = "app.kubernetes.io/managed-by";

let shared: Promise<Helm> | undefined;
/** One Helm (built on first use) for the tests that reach no cluster. */
function helm(): Promise<Helm> {
  shared ??= Helm.create();
  return shared;
}

function parseAll(text: string): KubeObject[] {
  return YAML.parseAllDocuments(text).map((d) => d.toJS()).filter((o) => o !== null);
}

function sorted(objects: readonly KubeObject[]): KubeObject[] {
  const key = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
  return [...objects].sort((a, b) => key(a).localeCompare(key(b)));
}

/** Writes chart values to a temporary file for `helm -f`. */
async function valuesFile(values: unknown): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "vigil-values-", suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify(values));
  return path;
}

/** `helm template` of the chart into `vigil-system`, parsed. */
async function template(values: unknown = {}): Promise<KubeObject[]> {
  const file = await valuesFile(values);
  try {
    return parseAll(
      await (await helm()).ok("template", "vigil", CHART, "--namespace", NAMESPACE, "-f", file),
    );
  } finally {
    await Deno.remove(file);
  }
}

/** The builders' objects as the chart should render them for `options`. */
function expected(options: InstallOptions): KubeObject[] {
  return buildManifest({ ...options, managedBy: "Helm" }).filter((o) => o.kind !== "Namespace");
}

/** Sets every `app.kubernetes.io/managed-by` label below `value` to `to`, in place. */
function relabel(value: Json, to: string): void {
  if (typeof value !== "object" || value === null) return;
  if (MANAGED_BY in value) value[MANAGED_BY] = to;
  for (const child of Object.values(value)) relabel(child, to);
}

Deno.test("helm lint --strict passes on the chart", async () => {
  const result = await (await helm()).run("lint", "--strict", CHART);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
});

Deno.test("helm template with the default values renders deploy/vigil.yaml's objects (but its Namespace; managed-by Helm)", async () => {
  const manifest = parseAll(await Deno.readTextFile(MANIFEST));
  assert.ok(manifest.some((o) => o.kind === "Namespace"), "deploy/vigil.yaml has its Namespace");
  const want = manifest.filter((o) => o.kind !== "Namespace");
  relabel(want, "Helm");
  const rendered = await template();
  assert.ok(rendered.some((o) => o.kind === "CustomResourceDefinition"), "the CRD is a template");
  assert.deepEqual(sorted(rendered), sorted(want));
});

Deno.test("helm template: every value reaches the objects the builders make for it", async () => {
  const options = {
    image: "registry.internal/vigil:9.9.9",
    imagePullPolicy: "Always",
    replicas: 3,
    resources: {
      requests: { cpu: "1", memory: "1Gi", "ephemeral-storage": "100Mi" },
      limits: { cpu: "2", memory: "2Gi", "ephemeral-storage": "1Gi" },
    },
    imageRegistry: "registry.internal",
    leaderElect: false,
    logLevel: "debug",
    webhookPort: 10443,
    metricsPort: 18080,
    healthPort: 18081,
    webhookCertDir: "/etc/vigil/certs with space",
    networkPolicy: {
      enabled: true,
      apiServerPeers: [{ ipBlock: { cidr: "10.0.0.1/32" } }, { ipBlock: { cidr: "fd00::1/128" } }],
      apiServerPorts: [6443],
      extraIngress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 9999 }] }],
      extraEgress: [{ to: [{ ipBlock: { cidr: "10.1.0.0/16" } }], ports: [{ port: 3128 }] }],
    },
  } as const satisfies InstallOptions;
  const values = {
    image: { repository: "registry.internal/vigil", tag: "9.9.9", pullPolicy: "Always" },
    replicas: 3,
    resources: options.resources,
    imageRegistry: "registry.internal",
    leaderElection: { enabled: false },
    logLevel: "debug",
    ports: { webhook: 10443, metrics: 18080, health: 18081 },
    webhookCertDir: options.webhookCertDir,
    networkPolicy: options.networkPolicy,
  };
  assert.deepEqual(sorted(await template(values)), sorted(expected(options)));
});

Deno.test("helm template: certManager.enabled=false drops the Issuer, the Certificate and every inject-ca-from; networkPolicy.enabled=false the policy", async () => {
  const objects = await template({
    certManager: { enabled: false },
    networkPolicy: {
      enabled: false,
      apiServerPeers: [],
      apiServerPorts: [443],
      extraIngress: [],
      extraEgress: [],
    },
  });
  const kinds = objects.map((o) => o.kind);
  for (const kind of ["Issuer", "Certificate", "NetworkPolicy"]) {
    assert.ok(!kinds.includes(kind), `no ${kind}`);
  }
  assert.ok(kinds.includes("Deployment"));
  for (const o of objects) {
    const annotations = (o.metadata.annotations ?? {}) as Record<string, string>;
    assert.ok(!("cert-manager.io/inject-ca-from" in annotations), `${o.kind}/${o.metadata.name}`);
  }
});

Deno.test("helm template: monitoring.enabled adds src/distribution/monitoring's ServiceMonitor, PrometheusRule and dashboard ConfigMap, with monitoring.labels", async () => {
  const monitorLabels = { release: "kube-prometheus-stack" };
  const kinds = ["ServiceMonitor", "PrometheusRule", "ConfigMap"];
  const rendered = await template({ monitoring: { enabled: true, labels: monitorLabels } });
  const m = monitoringObjects({ managedBy: "Helm", monitorLabels });
  assert.deepEqual(
    sorted(rendered.filter((o) => kinds.includes(o.kind))),
    sorted([m.serviceMonitor, m.prometheusRule, m.dashboardConfigMap]),
  );
  assert.ok(!(await template()).some((o) => kinds.includes(o.kind)), "off by default");
});

Deno.test("values.schema.json: Helm refuses a negative replica count, an unknown log level and a non-string image tag, naming each", async () => {
  const h = await helm();
  const schemaError = "Error: values don't meet the specifications of the schema(s) in the " +
    "following chart(s):\nvigil:\n";
  const refused = async (...args: string[]) => {
    const result = await h.run("template", "vigil", CHART, ...args);
    assert.notEqual(result.code, 0, `${args.join(" ")} was accepted`);
    assert.equal(result.stdout, "", "nothing rendered");
    assert.ok(result.stderr.startsWith(schemaError), result.stderr);
    return result.stderr.slice(schemaError.length).trim();
  };
  assert.equal(await refused("--set", "replicas=-1"), "- at '/replicas': minimum: got -1, want 1");
  assert.equal(
    await refused("--set", "logLevel=verbose"),
    "- at '/logLevel': 'verbose' does not match pattern '^(debug|info|warn|error)$'",
  );
  // --set makes a number of digits; a values file makes 1.10 the number 1.1.
  assert.equal(
    await refused("--set", "image.tag=2"),
    "- at '/image/tag': got number, want string",
  );
  const file = await valuesFile({ image: { tag: 1.10 } });
  try {
    assert.equal(await refused("-f", file), "- at '/image/tag': got number, want string");
  } finally {
    await Deno.remove(file);
  }
  assert.equal(
    await refused("--set", "replcas=3"),
    "- at '': additional properties 'replcas' not allowed",
  );
  const clash = await h.run("template", "vigil", CHART, "--set", "ports.metrics=9443");
  assert.notEqual(clash.code, 0, "two listeners on one port were accepted");
  assert.match(
    clash.stderr,
    /invalid values ports\.webhook=9443, ports\.metrics=9443, ports\.health=8081 \(accepted: three different ports\)/,
  );
  // What the schema lets through.
  const ok = await h.run(
    "template",
    "vigil",
    CHART,
    "--set",
    "replicas=1,logLevel=warn",
    "--set-string",
    "image.tag=2",
  );
  assert.equal(ok.code, 0, ok.stderr);
});

Deno.test("the chart's non-default ports and certificate directory: vigil run under exactly the grants they imply serves on them, and exits 2 without", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "helm-grants", async (ns) => {
    const certDir = await Deno.makeTempDir({ prefix: "vigil-helm-certs-" });
    const bundle = await generateSelfSigned({ ipAddresses: ["127.0.0.1"] });
    await writeCertDirectory(certDir, bundle);
    const [webhook, metrics, health] = freePorts(3) as [number, number, number];
    const rendered = await template({
      ports: { webhook, metrics, health },
      webhookCertDir: certDir,
    });
    const deployment = rendered.find((o) => o.kind === "Deployment") as Json;
    const args: string[] = deployment.spec.template.spec.containers[0].args;
    for (const arg of [`--webhook-port=${webhook}`, `--webhook-cert-dir=${certDir}`]) {
      assert.ok(args.includes(arg), `${arg} rendered`);
    }
    const grants = binaryGrants(resolveInstallOptions({
      webhookPort: webhook,
      metricsPort: metrics,
      healthPort: health,
      webhookCertDir: certDir,
    }));
    assert.deepEqual(grants, { net: [], read: [certDir] });
    const run = (read: readonly string[]) =>
      startVigil({
        server: plane.server,
        kubeconfig: plane.kubeconfigPath,
        read,
        args: [...args, `--namespace=${ns}`, `--leader-election-namespace=${ns}`],
      });

    // The stock binary's grants: refused at start, naming the flag and the grant to build with.
    const stock = run([]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let code: number | string;
    try {
      code = await Promise.race([
        stock.child.status.then((s) => s.code),
        new Promise<string>((r) => timer = setTimeout(() => r("still running after 30 s"), 30_000)),
      ]);
    } finally {
      clearTimeout(timer);
      await stock.kill(); // also waits for its output
    }
    const output = stock.lines.join("\n");
    assert.equal(code, 2, output);
    assert.match(output, /--webhook-cert-dir/);
    assert.ok(output.includes(`VIGIL_ALLOW_READ=${certDir}`), output);

    // Exactly the grants the values imply: serves on every port they name.
    const vigil = run(grants.read);
    const client = trustingClient(bundle.caCertPem);
    const status = async (url: string) => {
      try {
        const res = await fetch(url);
        await res.body?.cancel();
        return res.status;
      } catch {
        return undefined;
      }
    };
    try {
      await eventually(
        `/readyz on the chart's health port ${health}`,
        async () => (await status(`http://127.0.0.1:${health}/readyz`)) === 200 ? true : undefined,
        { timeoutMs: 60_000 },
      ).catch((err) => {
        throw new Error(`${err.message}\n${vigil.lines.join("\n")}`);
      });
      assert.equal(await status(`http://127.0.0.1:${metrics}/metrics`), 200, "metrics port");
      assert.equal(await admit(client, "127.0.0.1", webhook), "allowed", "webhook port");
      assert.equal(await vigil.stop(), 0, vigil.lines.join("\n"));
    } finally {
      client.close();
      await vigil.kill();
      await Deno.remove(certDir, { recursive: true });
    }
  });
});

Deno.test("helm install, upgrade with a changed value, uninstall on a private plane: objects as rendered, the Deployment changed, all gone but the CRD", async () => {
  const plane = await startPlane({ nodes: 1 });
  const h = await Helm.create({ kubeconfig: plane.kubeconfigPath });
  const ns = ["--namespace", NAMESPACE];
  const noCertManager = ["--set", "certManager.enabled=false"];
  const get = async (o: KubeObject) => {
    const group = o.apiVersion.includes("/") ? `.${o.apiVersion.split("/")[0]}` : "";
    const args = ["get", `${o.kind}${group}`, o.metadata.name, "-o", "json"];
    if (o.metadata.namespace !== undefined) args.push("-n", o.metadata.namespace);
    const result = await plane.kubectl(args);
    return result.code === 0 ? JSON.parse(result.stdout) : undefined;
  };
  try {
    const rendered = parseAll(await h.ok("template", "vigil", CHART, ...ns, ...noCertManager));
    await h.ok("install", "vigil", CHART, ...ns, "--create-namespace", ...noCertManager);
    for (const o of rendered) {
      const live = await get(o);
      assert.ok(live !== undefined, `${o.kind}/${o.metadata.name} installed`);
      assert.equal(live.metadata.annotations?.["meta.helm.sh/release-name"], "vigil");
    }
    // Accepted and stored by the apiserver; the plane has no CNI, so nothing enforces it.
    const policy = await get(rendered.find((o) => o.kind === "NetworkPolicy")!);
    assert.deepEqual(
      policy.spec.policyTypes,
      ["Ingress", "Egress"],
      "the apiserver accepted the NetworkPolicy",
    );

    const before = await get(rendered.find((o) => o.kind === "Deployment")!);
    assert.equal(before.spec.replicas, 2);
    await h.ok(
      "upgrade",
      "vigil",
      CHART,
      ...ns,
      ...noCertManager,
      "--set",
      "replicas=3,logLevel=debug",
    );
    const after = await get(rendered.find((o) => o.kind === "Deployment")!);
    assert.equal(after.spec.replicas, 3);
    assert.ok(after.spec.template.spec.containers[0].args.includes("--log-level=debug"));
    assert.ok(after.metadata.generation > before.metadata.generation);
    const status = JSON.parse(await h.ok("status", "vigil", ...ns, "-o", "json"));
    assert.equal(status.version, 2);
    assert.equal(status.info.status, "deployed");

    await h.ok("uninstall", "vigil", ...ns, "--wait");
    for (const o of rendered) {
      const live = await get(o);
      if (o.kind === "CustomResourceDefinition") {
        assert.ok(live !== undefined, "the CRD is kept");
      } else {
        assert.equal(live, undefined, `${o.kind}/${o.metadata.name} deleted`);
      }
    }
    assert.equal((await h.ok("list", "--all-namespaces", "-q")).trim(), "");
    // The kept CRD is taken over by a new install of the same release.
    await h.ok("install", "vigil", CHART, ...ns, ...noCertManager);
  } finally {
    await plane.stop();
  }
});
