/**
 * The rotation Job's script against a real PostgreSQL (Debian's, as the
 * engine-config tests use; they fail, never skip, without it): with password
 * authentication on TCP it changes the application user's password on every
 * "replica" from the old one, and a second run (a retried Job) finds the new
 * one already there.
 */
import assert from "node:assert/strict";
import { rotationJob } from "../../../src/controller/desired/mod.ts";
import { freePorts } from "../../support/ports.ts";
import { database } from "./desired/fixtures.ts";
import {
  asEngineUser,
  chownToEngineUser,
  postgresBinDir,
  programPath,
  run,
  runOk,
  startServer,
  waitFor,
} from "./desired/engine_support.ts";

Deno.test("postgres: the rotation Job's script moves the password from old to new on every replica, idempotently", async () => {
  const bin = postgresBinDir();
  const root = await Deno.makeTempDir({ prefix: "vigil-rotation-" });
  const [port = 0] = freePorts(1);
  const env = { PATH: `${bin}:/usr/bin:/bin` };
  const oldPassword = "old-Password_0123456789abcdefghij";
  const newPassword = "new-Password_0123456789abcdefghij";
  let server: ReturnType<typeof startServer> | undefined;
  try {
    await Deno.writeTextFile(`${root}/pw`, `${oldPassword}\n`);
    await Deno.mkdir(`${root}/run`);
    await chownToEngineUser(root);
    await runOk([
      ...asEngineUser(),
      `${bin}/initdb`,
      `--pgdata=${root}/data`,
      "--username=app",
      `--pwfile=${root}/pw`,
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "--locale=C",
    ], env);
    server = startServer([
      ...asEngineUser(),
      `${bin}/postgres`,
      "-D",
      `${root}/data`,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      `unix_socket_directories=${root}/run`,
      "-p",
      String(port),
    ], env);
    const login = (password: string) =>
      run([
        `${bin}/psql`,
        "-h",
        "127.0.0.1",
        "-p",
        String(port),
        "-U",
        "app",
        "-d",
        "postgres",
        "-qtAc",
        "select 1",
      ], {
        ...env,
        PGPASSWORD: password,
      });
    await waitFor("postgres up", async () => (await login(oldPassword)).code === 0, server);
    // As the image does for POSTGRES_DB.
    await runOk([
      `${bin}/psql`,
      "-h",
      `${root}/run`,
      "-p",
      String(port),
      "-U",
      "app",
      "-d",
      "postgres",
      "-qc",
      "CREATE DATABASE app",
    ], env);

    const db = database("postgres", { replicas: 2 });
    const pod = rotationJob(db, "r1").spec as {
      template: { spec: { containers: Array<{ command: string[] }> } };
    };
    const [sh, flag, script] = pod.template.spec.containers[0]!.command;
    // Both "replicas" are this one server: the headless names resolve to it here.
    const local = script!.replaceAll(/"shop-\$i\.shop-headless"/g, "127.0.0.1")
      .replaceAll("-p 5432", `-p ${port}`);
    assert.notEqual(local, script, "the script names each replica through the headless Service");
    const jobEnv = { ...env, REPLICAS: "2", OLD_PASSWORD: oldPassword, NEW_PASSWORD: newPassword };
    const first = await runOk([programPath(sh ?? "sh"), flag ?? "-c", local], jobEnv);
    assert.match(first, /replica 0: password changed/);
    assert.equal((await login(newPassword)).code, 0, "the new password works");
    assert.notEqual((await login(oldPassword)).code, 0, "the old one no longer does");
    // A retried Job: the new password is already set, nothing fails.
    await runOk([programPath(sh ?? "sh"), flag ?? "-c", local], jobEnv);
    assert.equal((await login(newPassword)).code, 0);
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
