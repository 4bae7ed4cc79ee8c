/**
 * The real-engine proof of the desired state: Debian's PostgreSQL runs with
 * exactly the StatefulSet container's command and arguments against the
 * ConfigMap's files and reports every configured value; Debian's
 * `my_print_defaults` reads the MySQL files back option for option.
 *
 * Container paths are mapped to a temporary directory (data mount, ConfigMap
 * volume laid out as the kubelet does, socket directory, /tmp, /backup);
 * nothing else is changed. The one addition: `-c listen_addresses=127.0.0.1
 * -p <free port>` appended AFTER the container's arguments, so the server
 * listens on loopback only, on a free port (later `-c` options win).
 *
 * These tests fail — never skip — when the binaries are missing; `.ci/run`
 * installs them (Debian's postgresql and mariadb-client).
 *
 * @module
 */
import assert from "node:assert/strict";
import { desiredState, ENGINE_LAYOUT, probeCommand } from "../../../src/controller/desired/mod.ts";
import { freePorts } from "../../support/ports.ts";
import { database, find, PASSWORD } from "./desired/fixtures.ts";
import {
  asEngineUser,
  chownToEngineUser,
  mapPaths,
  type PathMap,
  postgresBinDir,
  programPath,
  run,
  runOk,
  startServer,
  waitFor,
  writeConfigMapVolume,
} from "./desired/engine_support.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/** Parameters of every kind: memory units, ints, reals, booleans, enums, durations. */
const POSTGRES_CONFIG: Readonly<Record<string, string>> = {
  shared_buffers: "64MB",
  work_mem: "8MB",
  maintenance_work_mem: "128MB",
  effective_cache_size: "1GB",
  max_connections: "50",
  default_statistics_target: "250",
  random_page_cost: "1.1",
  checkpoint_completion_target: "0.8",
  jit: "off",
  log_connections: "on",
  log_statement: "ddl",
  synchronous_commit: "local",
  wal_level: "logical",
  statement_timeout: "30s",
  idle_in_transaction_session_timeout: "5min",
};

const MYSQL_CONFIG: Readonly<Record<string, string>> = {
  innodb_buffer_pool_size: "1G",
  max_allowed_packet: "64M",
  max_connections: "300",
  wait_timeout: "600",
  long_query_time: "0.5",
  slow_query_log: "ON",
  transaction_isolation: "READ-COMMITTED",
  character_set_server: "utf8mb4",
  binlog_format: "ROW",
};

function objects(engine: "postgres" | "mysql", config: Readonly<Record<string, string>>) {
  const db = database(engine, { config: { ...config }, backupSchedule: "@daily" });
  const state = desiredState(db, { password: PASSWORD });
  const sts = find(state.apply, "StatefulSet") as Any;
  return {
    files: find(state.apply, "ConfigMap").data as Record<string, string>,
    container: sts.spec.template.spec.containers[0],
    cronJob: find(state.apply, "CronJob") as Any,
  };
}

Deno.test("postgres: the container's exact command runs Debian's postgres with every configured value", async (t) => {
  const bin = postgresBinDir();
  const { files, container, cronJob } = objects("postgres", POSTGRES_CONFIG);
  const layout = ENGINE_LAYOUT.postgres;
  const root = await Deno.makeTempDir({ prefix: "vigil-postgres-" });
  const paths: PathMap = [
    [layout.dataMountPath, `${root}/data`],
    [layout.configMountPath, `${root}/config`],
    [layout.runPath, `${root}/run`],
    ["/tmp", `${root}/tmp`],
    ["/backup", `${root}/backup`],
  ];
  const [port = 0] = freePorts(1);
  const path = `${bin}:/usr/bin:/bin`;
  const env: Record<string, string> = { PATH: path };
  for (const e of container.env) if (e.value !== undefined) env[e.name] = mapPaths(e.value, paths);
  const pgdata = env.PGDATA ?? "";
  const psql = (...sql: string[]) =>
    runOk([
      `${bin}/psql`,
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-U",
      "app",
      "-d",
      "postgres",
      "-At",
      ...sql.flatMap((s) => ["-c", s]),
    ]);
  let server: ReturnType<typeof startServer> | undefined;
  try {
    await writeConfigMapVolume(
      `${root}/config`,
      Object.fromEntries(
        Object.entries(files).map(([name, text]) => [name, mapPaths(text, paths)]),
      ),
    );
    for (const dir of ["data", "run", "tmp", "backup"]) await Deno.mkdir(`${root}/${dir}`);
    await chownToEngineUser(root);
    await runOk([
      ...asEngineUser(),
      `${bin}/initdb`,
      `--pgdata=${pgdata}`,
      "--username=app",
      "--auth=trust",
      "--locale=C",
      "--encoding=UTF8",
    ], env);

    const [program, ...args] = container.args as string[];
    const command = [`${bin}/${program}`, ...args.map((a) => mapPaths(a, paths))];
    server = startServer([
      ...asEngineUser(),
      ...command,
      "-c",
      "listen_addresses=127.0.0.1",
      "-p",
      String(port),
    ], env);
    const probe = probeCommand("postgres").map((a) => a.replace(/^--port=\d+$/, `--port=${port}`));
    const ready = async () => (await run([`${bin}/${probe[0]}`, ...probe.slice(1)])).code === 0;
    await waitFor("postgres accepting connections", ready, server);

    await t.step("the readiness probe's pg_isready answers once the server is up", async () => {
      assert.equal(await ready(), true);
    });

    await t.step("SHOW returns every configured value and the container defaults", async () => {
      const names = [
        ...Object.keys(POSTGRES_CONFIG),
        "listen_addresses",
        "port",
        "config_file",
        "hba_file",
        "data_directory",
        "unix_socket_directories",
        "TimeZone",
        "default_text_search_config",
      ];
      const values = (await psql(...names.map((n) => `SHOW ${n}`))).trimEnd().split("\n");
      const shown = Object.fromEntries(names.map((n, i) => [n, values[i]]));
      assert.deepEqual(shown, {
        ...POSTGRES_CONFIG,
        listen_addresses: "127.0.0.1",
        port: String(port),
        config_file: `${root}/config/postgresql.conf`,
        hba_file: `${pgdata}/pg_hba.conf`,
        data_directory: pgdata,
        unix_socket_directories: `${root}/run`,
        TimeZone: "Etc/UTC",
        default_text_search_config: "pg_catalog.english",
      });
    });

    await t.step(
      "the backup CronJob's script writes a whole dump and keeps the newest seven",
      async () => {
        await psql("CREATE DATABASE app");
        await runOk([
          `${bin}/psql`,
          "-h",
          "127.0.0.1",
          "-p",
          String(port),
          "-U",
          "app",
          "-d",
          "app",
          "-c",
          "CREATE TABLE orders (id int); INSERT INTO orders VALUES (1)",
        ]);
        for (let i = 0; i < 8; i++) {
          const old = `${root}/backup/shop-2020010${i}T000000Z.dump`;
          await Deno.writeTextFile(old, "old");
          await Deno.utime(old, 1577836800 + i, 1577836800 + i);
        }
        const secret = {
          PGHOST: "127.0.0.1",
          PGPORT: String(port),
          PGUSER: "app",
          PGPASSWORD: PASSWORD,
          PGDATABASE: "app",
        };
        const pod = cronJob.spec.jobTemplate.spec.template.spec;
        const [sh, flag, script] = pod.containers[0].command as string[];
        await runOk([programPath(sh ?? "sh"), flag ?? "-c", mapPaths(script ?? "", paths)], {
          ...secret,
          PATH: path,
        });
        const dumps = [...Deno.readDirSync(`${root}/backup`)].map((e) => e.name).sort();
        assert.equal(dumps.length, 7, dumps.join(" "));
        const fresh = dumps.filter((name) => !name.startsWith("shop-2020"));
        assert.equal(fresh.length, 1, dumps.join(" "));
        assert.match(fresh[0] ?? "", /^shop-\d{8}T\d{6}Z\.dump$/);
        const listing = await runOk([`${bin}/pg_restore`, "--list", `${root}/backup/${fresh[0]}`]);
        assert.match(listing, /TABLE public orders app/);
      },
    );

    await t.step("the preStop hook shuts the server down fast and cleanly", async () => {
      const [sh, flag, script] = container.lifecycle.preStop.exec.command as string[];
      await runOk([...asEngineUser(), programPath(sh ?? "sh"), flag ?? "-c", script ?? ""], env);
      const code = await Promise.race([
        server!.exited,
        new Promise<string>((resolve) => setTimeout(() => resolve("timeout"), 30_000)),
      ]);
      assert.equal(code, 0, server!.log());
      assert.match(server!.log(), /received fast shutdown request/);
      assert.match(server!.log(), /database system is shut down/);
    });
  } finally {
    if (server !== undefined) {
      try {
        server.child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await server.exited;
    }
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("mysql: my_print_defaults reads the rendered vigil.cnf back option for option", async () => {
  const tool = programPath("my_print_defaults");
  const { files } = objects("mysql", MYSQL_CONFIG);
  const root = await Deno.makeTempDir({ prefix: "vigil-mysql-" });
  try {
    await Deno.writeTextFile(`${root}/vigil.cnf`, files["vigil.cnf"] ?? "");
    const out = await runOk([tool, `--defaults-file=${root}/vigil.cnf`, "mysqld"]);
    const expected = Object.keys(MYSQL_CONFIG).sort().map((k) => `--${k}=${MYSQL_CONFIG[k]}`);
    assert.deepEqual(out.trimEnd().split("\n"), expected);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("mysql: the image's !includedir reads the ConfigMap volume after my.cnf, so Vigil's datadir wins", async () => {
  const tool = programPath("my_print_defaults");
  const { files, container } = objects("mysql", MYSQL_CONFIG);
  const root = await Deno.makeTempDir({ prefix: "vigil-mysql-" });
  try {
    const confDir = `${root}/conf.d`;
    assert.equal(
      container.volumeMounts.find((m: Any) => m.name === "config").mountPath,
      ENGINE_LAYOUT.mysql.configMountPath,
    );
    await writeConfigMapVolume(confDir, files);
    // The shape of the official image's /etc/my.cnf: its own [mysqld], [client], then the include.
    await Deno.writeTextFile(
      `${root}/my.cnf`,
      "[mysqld]\nskip-name-resolve\ndatadir=/var/lib/mysql\nsocket=/var/run/mysqld/mysqld.sock\n" +
        `[client]\nsocket=/var/run/mysqld/mysqld.sock\n\n!includedir ${confDir}/\n`,
    );
    const out = (await runOk([tool, `--defaults-file=${root}/my.cnf`, "mysqld"])).trimEnd().split(
      "\n",
    );
    const expected = Object.keys(MYSQL_CONFIG).map((k) => `--${k}=${MYSQL_CONFIG[k]}`);
    for (const line of expected) assert.ok(out.includes(line), `${line} in ${out.join(" ")}`);
    const datadirs = out.filter((l) => l.startsWith("--datadir="));
    assert.deepEqual(datadirs, [
      "--datadir=/var/lib/mysql",
      `--datadir=${ENGINE_LAYOUT.mysql.dataDirectory}`,
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
