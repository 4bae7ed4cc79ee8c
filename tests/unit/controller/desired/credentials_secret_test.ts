/** Password generation, the credentials Secret per engine, and reading the password back. */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  credentialsSecret,
  generatePassword,
  mysqlRootPassword,
  passwordOf,
} from "../../../../src/controller/desired/mod.ts";
import { database, PASSWORD } from "./fixtures.ts";

function decoded(data: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
  );
}

Deno.test("generated passwords are 32 URL-safe characters and differ each time", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const password = generatePassword();
    assert.match(password, /^[A-Za-z0-9_-]{32}$/);
    seen.add(password);
  }
  assert.equal(seen.size, 200);
});

Deno.test("postgres credentials hold the service-binding entries, base64 in data", () => {
  const secret = credentialsSecret(database("postgres"), PASSWORD);
  assert.equal(secret.type, "Opaque");
  assert.equal("stringData" in secret, false);
  assert.deepEqual(decoded(secret.data), {
    database: "app",
    host: "shop.prod.svc",
    password: PASSWORD,
    port: "5432",
    type: "postgresql",
    uri: `postgresql://app:${PASSWORD}@shop.prod.svc:5432/app`,
    username: "app",
  });
  assert.equal(secret.metadata.name, "shop-credentials");
  assert.equal(secret.metadata.labels?.["app.kubernetes.io/component"], "credentials");
});

Deno.test("mysql credentials add a root password derived from the password", () => {
  const secret = credentialsSecret(database("mysql"), PASSWORD);
  const entries = decoded(secret.data);
  assert.equal(entries.uri, `mysql://app:${PASSWORD}@shop.prod.svc:3306/app`);
  assert.equal(entries.type, "mysql");
  assert.equal(entries["root-password"], mysqlRootPassword(PASSWORD));
  assert.match(entries["root-password"] ?? "", /^[0-9a-f]{32}$/);
  assert.notEqual(mysqlRootPassword(PASSWORD), mysqlRootPassword(PASSWORD + "x"));
});

Deno.test("the uri percent-encodes a password that is not URL-safe", () => {
  const entries = decoded(credentialsSecret(database("postgres"), "p@ss/w:rd").data);
  assert.equal(entries.uri, "postgresql://app:p%40ss%2Fw%3Ard@shop.prod.svc:5432/app");
  assert.equal(entries.password, "p@ss/w:rd");
});

Deno.test("passwordOf reads back the password the Secret was built with", () => {
  const password = generatePassword();
  assert.equal(passwordOf(credentialsSecret(database("mysql"), password)), password);
});

Deno.test("passwordOf is undefined without a Secret or a usable password entry", () => {
  assert.equal(passwordOf(undefined), undefined);
  assert.equal(passwordOf({ kind: "Secret" }), undefined);
  assert.equal(passwordOf({ kind: "Secret", data: { username: "YXBw" } }), undefined);
  assert.equal(passwordOf({ kind: "Secret", data: { password: "" } }), undefined);
  assert.equal(passwordOf({ kind: "Secret", data: null }), undefined);
});

Deno.test("the Secret changes only when the password does", () => {
  const db = database("postgres");
  assert.deepEqual(credentialsSecret(db, PASSWORD), credentialsSecret(db, PASSWORD));
  const scaled = database("postgres", { replicas: 3, config: { work_mem: "8MB" } });
  assert.deepEqual(credentialsSecret(scaled, PASSWORD), credentialsSecret(db, PASSWORD));
  assert.notDeepEqual(credentialsSecret(db, "other"), credentialsSecret(db, PASSWORD));
});
