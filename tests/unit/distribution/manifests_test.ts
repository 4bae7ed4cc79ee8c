import assert from "node:assert/strict";
import { RUN_FLAGS } from "../../../src/config.ts";
import { VERSION } from "../../../src/version.ts";
import {
  binaryGrants,
  buildManifest,
  imageBuildEnv,
  type KubeObject,
  resolveInstallOptions,
  SELF_SIGNED_CLUSTER_ROLE,
} from "../../../src/distribution/mod.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const objects = buildManifest();
const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
const one = (kind: string, name?: string): Json => {
  const found = byKind(kind).filter((o) => name === undefined || o.metadata.name === name);
  assert.equal(found.length, 1, `one ${kind} ${name ?? ""}`);
  return found[0];
};
const deployment = one("Deployment");
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const flagDefault = (flag: string) => RUN_FLAGS.find((f) => f.flag === flag)?.default ?? "";
const port = (address: string) => Number(address.split(":").at(-1));

Deno.test("the operator pod meets the restricted Pod Security Standard", () => {
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(pod.securityContext.runAsUser, 65532);
  assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
  for (const c of pod.containers) {
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"] });
    assert.equal(c.securityContext.seccompProfile.type, "RuntimeDefault");
    for (const resource of ["cpu", "memory", "ephemeral-storage"]) {
      assert.ok(c.resources.requests[resource], `a ${resource} request`);
      assert.ok(c.resources.limits[resource], `a ${resource} limit`);
    }
  }
  assert.equal(
    one("Namespace").metadata.labels["pod-security.kubernetes.io/enforce"],
    "restricted",
  );
});

Deno.test("ports, probes and the certificate mount match vigil run's flag defaults", () => {
  const ports = Object.fromEntries(
    container.ports.map((p: Json) => [p.name, p.containerPort]),
  );
  assert.deepEqual(ports, {
    metrics: port(flagDefault("metrics-bind-address")),
    health: port(flagDefault("health-probe-bind-address")),
    webhook: Number(flagDefault("webhook-port")),
  });
  assert.deepEqual(container.livenessProbe.httpGet, { path: "/healthz", port: "health" });
  assert.deepEqual(container.readinessProbe.httpGet, { path: "/readyz", port: "health" });
  const mount = container.volumeMounts.find((m: Json) => m.name === "webhook-certs");
  assert.equal(mount.mountPath, flagDefault("webhook-cert-dir"));
  assert.equal(mount.readOnly, true);
  const volume = pod.volumes.find((v: Json) => v.name === "webhook-certs");
  assert.equal(volume.secret.secretName, one("Certificate").spec.secretName);
  const webhookService = one("Service", "vigil-webhook");
  assert.deepEqual(webhookService.spec.ports[0], {
    name: "webhook",
    port: 443,
    targetPort: "webhook",
    protocol: "TCP",
  });
  assert.equal(one("Service", "vigil-metrics").spec.ports[0].port, ports.metrics);
});

Deno.test("two replicas with leader election spread over nodes, kept by a PodDisruptionBudget", () => {
  assert.equal(deployment.spec.replicas, 2);
  assert.ok(container.args.includes("--leader-elect=true"));
  const env = Object.fromEntries(container.env.map((e: Json) => [e.name, e]));
  assert.equal(env.POD_NAME.valueFrom.fieldRef.fieldPath, "metadata.name");
  assert.equal(env.POD_NAMESPACE.valueFrom.fieldRef.fieldPath, "metadata.namespace");
  assert.equal(container.image, `ghcr.io/vigil-dev/vigil:${VERSION}`);
  const spread = pod.topologySpreadConstraints[0];
  assert.equal(spread.topologyKey, "kubernetes.io/hostname");
  assert.equal(spread.whenUnsatisfiable, "DoNotSchedule");
  assert.ok(
    pod.terminationGracePeriodSeconds > parseInt(flagDefault("graceful-shutdown-timeout")),
  );
  assert.equal(one("PodDisruptionBudget").spec.minAvailable, 1);
  assert.deepEqual(
    one("PodDisruptionBudget").spec.selector,
    deployment.spec.selector,
  );
});

Deno.test("a terminating operator pod keeps answering webhooks: a preStop sleep, then the in-process drain, all inside the grace period", () => {
  const seconds = (flag: string) => parseInt(flagDefault(flag));
  const preStop = container.lifecycle?.preStop?.sleep?.seconds;
  assert.ok(Number.isInteger(preStop) && preStop > 0, "a preStop sleep (no shell in distroless)");
  assert.ok(seconds("shutdown-webhook-drain") > 0, "vigil run drains webhooks after SIGTERM");
  // The kubelet runs preStop before SIGTERM; after it, the webhook drain and the leader's
  // graceful stop run side by side; the grace period counts from the start of preStop.
  const needed = preStop +
    Math.max(seconds("graceful-shutdown-timeout"), seconds("shutdown-webhook-drain"));
  assert.ok(
    pod.terminationGracePeriodSeconds >= needed + 10,
    `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} < ${needed} + 10 s`,
  );
});

Deno.test("no role grants a wildcard verb, resource or API group", () => {
  for (const role of [...byKind("ClusterRole"), ...byKind("Role")] as Json[]) {
    for (const rule of role.rules) {
      for (const field of ["verbs", "resources", "apiGroups"]) {
        assert.ok(!rule[field].includes("*"), `${role.metadata.name}: ${field} has *`);
      }
      assert.ok(!rule.nonResourceURLs, `${role.metadata.name}: nonResourceURLs`);
    }
  }
});

Deno.test("the vigil-self-signed ClusterRole ships but nothing binds it", () => {
  assert.ok(one("ClusterRole", SELF_SIGNED_CLUSTER_ROLE));
  const bindings = [...byKind("ClusterRoleBinding"), ...byKind("RoleBinding")] as Json[];
  assert.ok(bindings.length > 0);
  for (const b of bindings) assert.notEqual(b.roleRef.name, SELF_SIGNED_CLUSTER_ROLE);
});

Deno.test("vigil-self-signed may read only the shared CA Secret and create Secrets", () => {
  const rules = one("ClusterRole", SELF_SIGNED_CLUSTER_ROLE).rules.filter((r: Json) =>
    r.resources.includes("secrets")
  );
  assert.deepEqual(rules, [
    {
      apiGroups: [""],
      resources: ["secrets"],
      resourceNames: ["vigil-webhook-self-signed-ca"],
      verbs: ["get"],
    },
    { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
  ]);
});

Deno.test("every object carries app.kubernetes.io/name, part-of and managed-by", () => {
  for (const o of objects as KubeObject[]) {
    const labels = o.metadata.labels as Record<string, string>;
    assert.equal(labels["app.kubernetes.io/name"], "vigil", `${o.kind}/${o.metadata.name}`);
    assert.equal(labels["app.kubernetes.io/part-of"], "vigil", `${o.kind}/${o.metadata.name}`);
    assert.equal(labels["app.kubernetes.io/managed-by"], "kubectl", `${o.kind}/${o.metadata.name}`);
  }
});

Deno.test("webhook configurations and the CRD go through the Service with the CA from cainjector", () => {
  const inject = "cert-manager.io/inject-ca-from";
  const targets: Json[] = [
    one("MutatingWebhookConfiguration"),
    one("ValidatingWebhookConfiguration"),
    one("CustomResourceDefinition"),
  ];
  for (const t of targets) {
    assert.equal(t.metadata.annotations[inject], "vigil-system/vigil-webhook");
  }
  const configs = [
    ...targets[0].webhooks,
    ...targets[1].webhooks,
    targets[2].spec.conversion.webhook,
  ];
  for (const w of configs) {
    assert.equal(w.clientConfig.service.namespace, "vigil-system");
    assert.equal(w.clientConfig.service.name, "vigil-webhook");
    assert.ok(!("caBundle" in w.clientConfig), "caBundle is left to cainjector");
  }
  const cert = one("Certificate");
  assert.deepEqual(cert.spec.dnsNames, [
    "vigil-webhook.vigil-system.svc",
    "vigil-webhook.vigil-system.svc.cluster.local",
  ]);
  assert.equal(cert.spec.issuerRef.name, one("Issuer").metadata.name);
  assert.deepEqual(one("Issuer").spec, { selfSigned: {} });
  const kinds = objects.map((o) => o.kind);
  assert.equal(kinds[0], "Namespace");
  assert.ok(kinds.indexOf("Deployment") < kinds.indexOf("MutatingWebhookConfiguration"));
});

Deno.test("the NetworkPolicy isolates the operator pods: in to its three ports, out to the API server and DNS only", () => {
  const policy = one("NetworkPolicy");
  assert.deepEqual(policy.spec.podSelector, deployment.spec.selector);
  assert.deepEqual(policy.spec.policyTypes, ["Ingress", "Egress"]);
  const named = (name: string) => container.ports.find((p: Json) => p.name === name).containerPort;
  assert.deepEqual(policy.spec.ingress, [{
    ports: ["webhook", "metrics", "health"].map((name) => ({ port: named(name), protocol: "TCP" })),
  }]);
  assert.equal(policy.spec.egress.length, 2);
  const [apiServer, dns] = policy.spec.egress;
  assert.deepEqual(apiServer, {
    ports: [{ port: 443, protocol: "TCP" }, { port: 6443, protocol: "TCP" }],
  });
  assert.deepEqual(dns.ports, [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }]);
  assert.deepEqual(dns.to, [{
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
    podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
  }]);
});

Deno.test("non-default ports, certificate directory and log level reach the args, ports, mount, Service and policy", () => {
  const objects = buildManifest({
    webhookPort: 10443,
    metricsPort: 18080,
    healthPort: 18081,
    webhookCertDir: "/etc/vigil/certs",
    logLevel: "debug",
    networkPolicy: {
      apiServerPeers: [{ ipBlock: { cidr: "10.0.0.1/32" } }],
      extraEgress: [{ ports: [{ port: 3128, protocol: "TCP" }] }],
    },
  }) as Json[];
  const c = objects.find((o) => o.kind === "Deployment").spec.template.spec.containers[0];
  for (
    const arg of [
      "--webhook-port=10443",
      "--metrics-bind-address=:18080",
      "--health-probe-bind-address=:18081",
      "--webhook-cert-dir=/etc/vigil/certs",
      "--log-level=debug",
    ]
  ) assert.ok(c.args.includes(arg), `${arg} in ${c.args}`);
  assert.deepEqual(
    Object.fromEntries(c.ports.map((p: Json) => [p.name, p.containerPort])),
    { webhook: 10443, metrics: 18080, health: 18081 },
  );
  assert.equal(c.volumeMounts[0].mountPath, "/etc/vigil/certs");
  const metrics = objects.find((o) => o.metadata.name === "vigil-metrics");
  assert.equal(metrics.spec.ports[0].port, 18080);
  const policy = objects.find((o) => o.kind === "NetworkPolicy");
  assert.deepEqual(policy.spec.ingress[0].ports.map((p: Json) => p.port), [10443, 18080, 18081]);
  assert.deepEqual(policy.spec.egress[0].to, [{ ipBlock: { cidr: "10.0.0.1/32" } }]);
  assert.deepEqual(policy.spec.egress.at(-1), { ports: [{ port: 3128, protocol: "TCP" }] });
  assert.ok(
    !buildManifest({ networkPolicy: { enabled: false } }).some((o) => o.kind === "NetworkPolicy"),
  );
});

Deno.test("only a certificate directory other than the default needs a grant the binary lacks", () => {
  const defaults = resolveInstallOptions();
  assert.deepEqual(binaryGrants(defaults), { net: [], read: [] });
  assert.deepEqual(imageBuildEnv(defaults), {});
  const custom = resolveInstallOptions({ webhookPort: 1, metricsPort: 2, healthPort: 3 });
  assert.deepEqual(binaryGrants(custom), { net: [], read: [] });
  const elsewhere = resolveInstallOptions({ webhookCertDir: "/etc/vigil/certs" });
  assert.deepEqual(binaryGrants(elsewhere), { net: [], read: ["/etc/vigil/certs"] });
  assert.deepEqual(imageBuildEnv(elsewhere), { VIGIL_ALLOW_READ: "/etc/vigil/certs" });
});
