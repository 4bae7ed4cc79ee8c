/** The ConfigMap's files per engine and the config hash that rolls the pods. */
import assert from "node:assert/strict";
import {
  CONFIG_HASH_ANNOTATION,
  configFiles,
  configHash,
  configMap,
  ENGINE_LAYOUT,
  statefulSet,
} from "../../../../src/controller/desired/mod.ts";
import { renderConfigFile } from "../../../../src/database/mod.ts";
import { database } from "./fixtures.ts";

Deno.test("postgres config: full postgresql.conf with container defaults, then the user's file", () => {
  const db = database("postgres", { config: { max_connections: "200", log_statement: "ddl" } });
  const files = configMap(db).data;
  assert.deepEqual(Object.keys(files).sort(), ["postgresql.conf", "vigil.conf"]);
  assert.equal(files["vigil.conf"], renderConfigFile("postgres", db.spec.config));
  const main = files["postgresql.conf"] ?? "";
  assert.match(main, /^listen_addresses = '\*'$/m);
  assert.match(main, /^hba_file = '\/var\/lib\/postgresql\/data\/pgdata\/pg_hba\.conf'$/m);
  assert.match(main, /^ident_file = '\/var\/lib\/postgresql\/data\/pgdata\/pg_ident\.conf'$/m);
  // The user's parameters are included last, so they win over every default.
  assert.match(main, /\ninclude 'vigil\.conf'\n$/);
});

Deno.test("postgres config file is what the container's -c config_file names", () => {
  const layout = ENGINE_LAYOUT.postgres;
  assert.deepEqual(layout.args, ["postgres", "-c", "config_file=/etc/vigil/postgresql.conf"]);
  assert.ok(`${layout.dataDirectory}/`.startsWith(`${layout.dataMountPath}/`));
  assert.notEqual(layout.dataDirectory, layout.dataMountPath);
});

Deno.test("mysql config: the rendered [mysqld] file and the data directory below the mount", () => {
  const db = database("mysql", { config: { max_connections: "300" } });
  const files = configMap(db).data;
  assert.deepEqual(Object.keys(files).sort(), ["container.cnf", "vigil.cnf"]);
  assert.equal(files["vigil.cnf"], renderConfigFile("mysql", db.spec.config));
  assert.equal(
    files["container.cnf"],
    "# Container defaults written by Vigil; edits are overwritten.\n" +
      "[mysqld]\ndatadir = /var/lib/mysql/data\n",
  );
  assert.equal(ENGINE_LAYOUT.mysql.configMountPath, "/etc/mysql/conf.d");
});

Deno.test("the config hash changes with the config and with nothing else", () => {
  const base = database("postgres", { config: { work_mem: "4MB" } });
  const hash = configHash(configFiles(base));
  assert.match(hash, /^[0-9a-f]{64}$/);
  const unrelated = database("postgres", {
    config: { work_mem: "4MB" },
    replicas: 4,
    storageSize: "50Gi",
    backupSchedule: "@daily",
  });
  assert.equal(configHash(configFiles(unrelated)), hash);
  const changed = database("postgres", { config: { work_mem: "8MB" } });
  assert.notEqual(configHash(configFiles(changed)), hash);
  // Key order in spec.config does not matter.
  const a = database("mysql", { config: { wait_timeout: "60", max_connections: "10" } });
  const b = database("mysql", { config: { max_connections: "10", wait_timeout: "60" } });
  assert.equal(configHash(configFiles(a)), configHash(configFiles(b)));
});

Deno.test("the config hash distinguishes which file a text is in", () => {
  assert.notEqual(configHash({ a: "x", b: "" }), configHash({ a: "", b: "x" }));
  assert.notEqual(configHash({ a: "x\nb" }), configHash({ a: "x", b: "" }));
});

Deno.test("the pod template carries the config hash annotation", () => {
  const db = database("mysql");
  const hash = configHash(configFiles(db));
  const sts = statefulSet(db, { configHash: hash });
  const template = sts.spec.template as { metadata: { annotations: Record<string, string> } };
  assert.deepEqual(template.metadata.annotations, { [CONFIG_HASH_ANNOTATION]: hash });
});

Deno.test("the ConfigMap is named, labelled and owned like every owned object", () => {
  const cm = configMap(database("postgres"));
  assert.equal(cm.metadata.name, "shop-config");
  assert.equal(cm.metadata.namespace, "prod");
  assert.equal(cm.metadata.labels?.["app.kubernetes.io/component"], "config");
  assert.equal(cm.metadata.ownerReferences?.[0]?.controller, true);
});
