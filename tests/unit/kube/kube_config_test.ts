import assert from "node:assert/strict";
import { KubeConfig } from "../../../src/kube/mod.ts";

const YAML = `
apiVersion: v1
kind: Config
clusters:
- name: dev
  cluster:
    server: https://dev.example:6443/
    certificate-authority: certs/ca.crt
    proxy-url: http://proxy:3128
users:
- name: alice
  user:
    client-certificate: certs/alice.crt
    client-key: /abs/alice.key
    token-file: token
- name: plugin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/login
      args: [--quiet]
      interactiveMode: Never
- name: onpath
  user:
    exec: { command: aws-login }
contexts:
- name: dev
  context: { cluster: dev, user: alice, namespace: team }
current-context: dev
`;

Deno.test("kubeconfig YAML is read with kubectl's field meanings and paths relative to its file", async () => {
  const kc = await KubeConfig.parse(YAML, "/home/me/.kube");
  assert.deepEqual(kc.getCurrentCluster(), {
    name: "dev",
    server: "https://dev.example:6443",
    caFile: "/home/me/.kube/certs/ca.crt",
    skipTLSVerify: false,
    proxyUrl: "http://proxy:3128",
  });
  assert.deepEqual(kc.getCurrentUser(), {
    name: "alice",
    certFile: "/home/me/.kube/certs/alice.crt",
    keyFile: "/abs/alice.key",
    tokenFile: "/home/me/.kube/token",
  });
  assert.equal(kc.getContextObject("dev")?.namespace, "team");
  kc.setCurrentContext("none");
  assert.equal(kc.getCurrentCluster(), undefined);
});

Deno.test("an exec command with a slash is relative to the file, a bare one is looked up on PATH", async () => {
  const file = await KubeConfig.parse(YAML, "/home/me/.kube");
  const asUser = (user: string) => {
    const kc = file.merge(
      new KubeConfig({ clusters: [], users: [], contexts: [{ name: "c", cluster: "dev", user }] }),
    );
    kc.setCurrentContext("c");
    return kc.getCurrentUser();
  };
  assert.deepEqual(asUser("plugin")?.exec, {
    apiVersion: "client.authentication.k8s.io/v1",
    command: "/home/me/.kube/./bin/login",
    args: ["--quiet"],
    interactiveMode: "Never",
  });
  assert.equal(asUser("onpath")?.exec?.command, "aws-login");
});

Deno.test("merging keeps the first entry of each name and the first current-context set, as kubectl", async () => {
  const a = await KubeConfig.parse(JSON.stringify({
    clusters: [{ name: "c", cluster: { server: "https://a:6443" } }],
    contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
  }));
  const b = await KubeConfig.parse(JSON.stringify({
    clusters: [
      { name: "c", cluster: { server: "https://b:6443" } },
      { name: "d", cluster: { server: "https://d:6443" } },
    ],
    users: [{ name: "u", user: { token: "t" } }],
    contexts: [{ name: "x", context: { cluster: "d", user: "u" } }],
    "current-context": "x",
  }));
  const merged = a.merge(b);
  assert.equal(merged.getCurrentContext(), "x");
  assert.equal(merged.getCurrentCluster()?.server, "https://a:6443");
  assert.equal(merged.getCurrentUser()?.token, "t");
});

Deno.test("a malformed kubeconfig is a SyntaxError naming the first bad field", async () => {
  await assert.rejects(
    () => KubeConfig.parse("clusters:\n- name: c\n  cluster: {}\n"),
    (err: unknown) =>
      err instanceof SyntaxError && /clusters\.0\.cluster\.server/.test(err.message),
  );
  await assert.rejects(() => KubeConfig.parse("{not yaml: ["), SyntaxError);
  assert.equal((await KubeConfig.parse("")).getCurrentCluster(), undefined);
});

Deno.test("a JSON kubeconfig is read as JSON, and a YAML flow mapping that starts like JSON as YAML", async () => {
  const json = await KubeConfig.parse(
    '{"clusters":[{"name":"c","cluster":{"server":"https://a:6443/"}}],' +
      '"contexts":[{"name":"x","context":{"cluster":"c","user":"u"}}],"current-context":"x"}',
  );
  assert.equal(json.getCurrentCluster()?.server, "https://a:6443");
  const flow = await KubeConfig.parse(
    "{clusters: [{name: c, cluster: {server: 'https://b:6443'}}], " +
      "contexts: [{name: x, context: {cluster: c, user: u}}], current-context: x}",
  );
  assert.equal(flow.getCurrentCluster()?.server, "https://b:6443");
});
