/**
 * Credentials rotation on the kwok plane (kwok completes the rotation Job;
 * on a real cluster it runs ALTER ROLE against every replica): the Secret
 * changes once, the pods roll once, nothing else changes, and no log line of
 * Vigil's run carries the old or the new password.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";
import {
  applyDatabase,
  deleteDatabases,
  eventCount,
  getJson,
  revisionMoments,
  startScopedVigil,
  waitReady,
  watchPods,
} from "./_helpers.ts";

interface Obj {
  metadata: {
    resourceVersion: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  data?: Record<string, string>;
  spec?: unknown;
}

/** What Vigil writes of an object (not the status others write, as a PDB's). */
const content = (o: Obj) =>
  JSON.stringify([o.metadata.labels, o.metadata.annotations, o.spec, o.data]);

const decode = (b64: string | undefined) => Buffer.from(b64 ?? "", "base64").toString("utf8");

Deno.test("a rotation request changes the Secret once and rolls the pods once, and no log line has a password", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "rotate", async (ns) => {
    const vigil = await startScopedVigil(plane, ns);
    try {
      const spec = { engine: "postgres", version: "17.5", replicas: 3, storageSize: "1Gi" };
      await applyDatabase(plane, ns, "orders", spec);
      await waitReady(plane, ns, "orders");
      const secret = (await getJson<Obj>(plane, ns, "secret/orders-credentials"))!;
      const oldPassword = decode(secret.data?.password);
      assert.equal(oldPassword.length, 32);
      const others = [
        "configmap/orders-config",
        "service/orders",
        "service/orders-headless",
        "pdb/orders",
      ];
      const versions = await Promise.all(
        others.map(async (o) => content((await getJson<Obj>(plane, ns, o))!)),
      );
      const appliesBefore = vigil.log().split("\n").filter((l) =>
        l.includes('"msg":"applied"') && l.includes('"name":"orders-credentials"')
      ).length;

      const pods = await watchPods(plane, ns, "orders", 3);
      let newPassword = "";
      try {
        const request = "2026-12-02T00:00:00Z";
        await applyDatabase(plane, ns, "orders", spec, {
          annotations: { "vigil.dev/rotate-credentials": request },
        });
        const rotated = await eventually("the Secret answers the request", async () => {
          const s = await getJson<Obj>(plane, ns, "secret/orders-credentials");
          return s?.metadata.annotations?.["vigil.dev/rotation-token"] === request ? s : undefined;
        }, { timeoutMs: 90_000 });
        newPassword = decode(rotated.data?.password);
        assert.notEqual(newPassword, oldPassword);
        assert.equal(newPassword.length, 32);
        assert.ok(rotated.metadata.annotations?.["vigil.dev/credentials-rotated-at"]);
        assert.match(decode(rotated.data?.uri), new RegExp(`:${newPassword}@`));
        await eventually("every pod replaced and Ready", () =>
          Promise.resolve(
            revisionMoments(pods.moments).filter((m) =>
                m.type === "ready"
              ).length === 3
              ? true
              : undefined,
          ), { timeoutMs: 90_000 });
        await waitReady(plane, ns, "orders");
        await eventually("the pending Secret and the Job gone", async () =>
          await getJson(plane, ns, "secret/orders-credentials-next") === undefined &&
            JSON.parse(
                await plane.kubectlOk([
                  "-n",
                  ns,
                  "get",
                  "jobs",
                  "-l",
                  "app.kubernetes.io/component=rotation",
                  "-o",
                  "json",
                ]),
              ).items.length === 0
            ? true
            : undefined);
        // Re-applying the same request changes nothing. A fixed wait on purpose:
        // it measures an absence (no second rotation, no pod rolled), which has no
        // condition to wait on; 3 s is several reconciles of this Database.
        await applyDatabase(plane, ns, "orders", spec, {
          annotations: { "vigil.dev/rotate-credentials": request },
        });
        await new Promise((r) =>
          setTimeout(r, 3_000)
        );
        const order = revisionMoments(pods.moments).map((m) => `${m.type} ${m.ordinal}`);
        assert.deepEqual(
          order,
          ["gone 2", "ready 2", "gone 1", "ready 1", "gone 0", "ready 0"],
          JSON.stringify(pods.moments),
        );
        assert.equal(pods.maxUnavailable(), 1);
        assert.ok(!vigil.log().includes("deleted a replica"), "Vigil deleted a pod itself");
      } finally {
        await pods.stop();
      }
      const after = (await getJson<Obj>(plane, ns, "secret/orders-credentials"))!;
      assert.equal(decode(after.data?.password), newPassword, "the Secret changed once");
      const applies = vigil.log().split("\n").filter((l) =>
        l.includes('"msg":"applied"') && l.includes('"name":"orders-credentials"')
      ).length;
      assert.equal(applies - appliesBefore, 1, "one write of the credentials Secret");
      const now = await Promise.all(
        others.map(async (o) =>
          content((await getJson<Obj>(plane, ns, o))!)
        ),
      );
      assert.deepEqual(now, versions, "nothing else changed");
      assert.equal(await eventCount(plane, ns, "orders", "CredentialsRotated"), 1);

      const log = vigil.log();
      for (const password of [oldPassword, newPassword]) {
        for (const form of [password, Buffer.from(password).toString("base64")]) {
          assert.ok(!log.includes(form), "a log line carries a password");
        }
      }
      await deleteDatabases(plane, ns);
    } finally {
      await vigil.stop();
    }
  });
});
