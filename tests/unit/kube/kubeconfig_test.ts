import assert from "node:assert/strict";
import { CredentialSource } from "../../../src/kube/credential_source.ts";
import { KubeConfigError, loadKubeConfig } from "../../../src/kube/kubeconfig.ts";

function kubeconfig(server: string, contexts = ["one"]): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server } }],
    users: [{ name: "u", user: { token: "t" } }],
    contexts: contexts.map((name) => ({
      name,
      context: { cluster: "c", user: "u", namespace: `ns-${name}` },
    })),
    "current-context": contexts[0],
  });
}

async function withFiles<T>(
  files: Record<string, string>,
  fn: (dir: string) => T | Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.mkdir(`${dir}/${name}`.replace(/\/[^/]+$/, ""), { recursive: true });
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("--kubeconfig wins over KUBECONFIG and ~/.kube/config", async () => {
  await withFiles({
    a: kubeconfig("https://a:6443"),
    "home/.kube/config": kubeconfig("https://h:6443"),
  }, async (dir) => {
    const env = { KUBECONFIG: `${dir}/missing`, HOME: `${dir}/home` };
    const loaded = await loadKubeConfig({
      kubeconfigPath: `${dir}/a`,
      env: (n) => env[n as keyof typeof env],
    });
    assert.equal(loaded.source, "flag");
    assert.equal(loaded.server, "https://a:6443");
    assert.equal(loaded.namespace, "ns-one");
  });
});

Deno.test("KUBECONFIG wins over ~/.kube/config, and missing later entries are skipped", async () => {
  await withFiles({
    a: kubeconfig("https://a:6443"),
    "home/.kube/config": kubeconfig("https://h:6443"),
  }, async (dir) => {
    const env = { KUBECONFIG: `${dir}/a:${dir}/missing`, HOME: `${dir}/home` };
    const loaded = await loadKubeConfig({ env: (n) => env[n as keyof typeof env] });
    assert.equal(loaded.source, "env");
    assert.equal(loaded.server, "https://a:6443");
  });
});

Deno.test("~/.kube/config is used when nothing else is set", async () => {
  await withFiles({ "home/.kube/config": kubeconfig("https://h:6443") }, async (dir) => {
    const loaded = await loadKubeConfig({ env: (n) => (n === "HOME" ? `${dir}/home` : undefined) });
    assert.equal(loaded.source, "home");
    assert.equal(loaded.server, "https://h:6443");
  });
});

Deno.test("in-cluster config reaches the apiserver by its service name", async () => {
  await withFiles(
    { "sa/token": "tok", "sa/namespace": "vigil-system\n", "sa/ca.crt": "x" },
    async (dir) => {
      const env = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };
      const loaded = await loadKubeConfig({
        env: (n) => env[n as keyof typeof env],
        serviceAccountDir: `${dir}/sa`,
      });
      assert.equal(loaded.source, "in-cluster");
      assert.equal(loaded.server, "https://kubernetes.default.svc:443");
      assert.equal(loaded.namespace, "vigil-system");
      assert.equal(loaded.kubeConfig.getCurrentCluster()?.caFile, `${dir}/sa/ca.crt`);
      assert.deepEqual(loaded.kubeConfig.getCurrentUser()?.authProvider, {
        name: "tokenFile",
        config: { tokenFile: `${dir}/sa/token` },
      });
      const credentials = await new CredentialSource(loaded.kubeConfig).get();
      assert.equal(credentials.headers.authorization, "Bearer tok");
      assert.equal(credentials.caPem, "x");
    },
  );
});

Deno.test("--context selects a context, and an unknown one lists the known ones", async () => {
  await withFiles({ a: kubeconfig("https://a:6443", ["one", "two"]) }, async (dir) => {
    const loaded = await loadKubeConfig({
      kubeconfigPath: `${dir}/a`,
      context: "two",
      env: () => undefined,
    });
    assert.equal(loaded.namespace, "ns-two");
    await assert.rejects(
      () => loadKubeConfig({ kubeconfigPath: `${dir}/a`, context: "three", env: () => undefined }),
      (err: unknown) =>
        err instanceof KubeConfigError && /--context=three/.test(err.message) &&
        /accepted: one, two/.test(err.message),
    );
  });
});

Deno.test("no source at all is an error naming every place looked at, not a silent localhost:8080", async () => {
  await assert.rejects(
    () => loadKubeConfig({ env: () => undefined, exists: () => false }),
    (err: unknown) =>
      err instanceof KubeConfigError && /KUBECONFIG/.test(err.message) &&
      /in-cluster/.test(err.message),
  );
});

Deno.test("an unreadable or unparsable file names the file and where it came from", async () => {
  await assert.rejects(
    () => loadKubeConfig({ kubeconfigPath: "/nonexistent/kc", env: () => undefined }),
    (err: unknown) =>
      err instanceof KubeConfigError && /\/nonexistent\/kc \(from --kubeconfig\)/.test(err.message),
  );
  await withFiles({ bad: "{not yaml: [" }, async (dir) => {
    await assert.rejects(
      () => loadKubeConfig({ kubeconfigPath: `${dir}/bad`, env: () => undefined }),
      (err: unknown) =>
        err instanceof KubeConfigError && /Cannot parse kubeconfig/.test(err.message),
    );
  });
});
