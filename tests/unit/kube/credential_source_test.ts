import assert from "node:assert/strict";
import { CredentialSource, KubeConfig, type User } from "../../../src/kube/mod.ts";

function source(user: Omit<User, "name">, now = () => 0): CredentialSource {
  return new CredentialSource(
    new KubeConfig({
      clusters: [{ name: "c", server: "https://10.0.0.1:6443", skipTLSVerify: false }],
      users: [{ name: "u", ...user }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    }),
    { now },
  );
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir();
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** An exec credential plugin: a shell script printing `status` as an ExecCredential. */
async function execPlugin(dir: string, status: Record<string, unknown>): Promise<string> {
  const path = `${dir}/plugin.sh`;
  const credential = JSON.stringify({
    apiVersion: "client.authentication.k8s.io/v1",
    kind: "ExecCredential",
    status,
  });
  await Deno.writeTextFile(path, `#!/bin/sh\ncat <<'EOF'\n${credential}\nEOF\n`, { mode: 0o755 });
  return path;
}

Deno.test("a static token, basic auth and impersonation become headers", async () => {
  assert.deepEqual((await source({ token: "abc" }).get()).headers, {
    authorization: "Bearer abc",
  });
  assert.deepEqual(
    (await source({ username: "ann", password: "pw", impersonateUser: "bob" }).get()).headers,
    { authorization: `Basic ${btoa("ann:pw")}`, "impersonate-user": "bob" },
  );
});

Deno.test("a token file is reread once its refresh time has passed, so a rotated token is used", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/token`, "one\n");
    let now = 0;
    const creds = source({ tokenFile: `${dir}/token` }, () => now);
    assert.equal((await creds.get()).headers.authorization, "Bearer one");
    await Deno.writeTextFile(`${dir}/token`, "two\n");
    now += 59_999;
    assert.equal((await creds.get()).headers.authorization, "Bearer one");
    now += 1;
    assert.equal((await creds.get()).headers.authorization, "Bearer two");
  });
});

Deno.test("client certificate, key and CA come from data or from files", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/client.crt`, "CERT FILE");
    await Deno.writeTextFile(`${dir}/client.key`, "KEY FILE");
    const fromFiles = await source({
      certFile: `${dir}/client.crt`,
      keyFile: `${dir}/client.key`,
    }).get();
    assert.equal(fromFiles.certPem, "CERT FILE");
    assert.equal(fromFiles.keyPem, "KEY FILE");
    const fromData = await source({ certData: btoa("CERT"), keyData: btoa("KEY") }).get();
    assert.equal(fromData.certPem, "CERT");
    assert.equal(fromData.keyPem, "KEY");
  });
});

Deno.test("an exec plugin's token is sent, and its client certificate used", async () => {
  await withDir(async (dir) => {
    const command = await execPlugin(dir, {
      token: "from-exec",
      clientCertificateData: "EXEC CERT",
      clientKeyData: "EXEC KEY",
    });
    const creds = await source({
      exec: { apiVersion: "client.authentication.k8s.io/v1", command, args: [] },
    }).get();
    assert.equal(creds.headers.authorization, "Bearer from-exec");
    assert.equal(creds.certPem, "EXEC CERT");
    assert.equal(creds.keyPem, "EXEC KEY");
  });
});

Deno.test("a failing exec plugin and an unknown auth provider are errors naming the problem", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/fail.sh`, "#!/bin/sh\necho 'not logged in' >&2\nexit 3\n", {
      mode: 0o755,
    });
    await assert.rejects(
      source({ exec: { command: `${dir}/fail.sh` } }).get(),
      /not logged in/,
    );
  });
  await assert.rejects(
    source({ authProvider: { name: "keystone", config: {} } }).get(),
    /unknown auth-provider "keystone" \(accepted: exec, oidc, azure, gcp/,
  );
});
