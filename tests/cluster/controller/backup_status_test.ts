/**
 * Backups on the kwok plane: a backup Job of the Database's CronJob that
 * kwok completes sets `status.lastBackupTime`; one that fails (kwok's
 * `pod-job-failed` Stage fails the Jobs of Databases named `failing-backup…`)
 * sets BackupFailed with one event; removing the schedule removes the CronJob.
 * The Jobs are started by hand from the CronJob (`kubectl create job
 * --from=cronjob/…`, as a user takes a backup now) instead of waiting for the
 * schedule.
 */
import assert from "node:assert/strict";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import { FAILING_BACKUP_PREFIX } from "../../support/kwok_test_stages.ts";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";
import {
  applyDatabase,
  deleteDatabases,
  eventCount,
  getJson,
  startScopedVigil,
  waitReady,
} from "./_helpers.ts";

interface Db {
  status?: {
    lastBackupTime?: string;
    conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  };
}

function condition(db: Db | undefined, type: string) {
  return db?.status?.conditions?.find((c) => c.type === type);
}

Deno.test("a backup Job completed by kwok sets lastBackupTime; a failed one sets BackupFailed once", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "backup", async (ns) => {
    const vigil = await startScopedVigil(plane, ns);
    try {
      const spec = {
        engine: "postgres",
        version: "17.5",
        storageSize: "1Gi",
        backupSchedule: "0 3 * * *",
      };
      const failing = `${FAILING_BACKUP_PREFIX}-orders`;
      await applyDatabase(plane, ns, "orders", spec);
      await applyDatabase(plane, ns, failing, spec);
      await waitReady(plane, ns, "orders");
      await waitReady(plane, ns, failing);
      const fresh = await getJson<Db>(plane, ns, "db/orders");
      assert.equal(condition(fresh, "BackupFailed")?.reason, "NoBackupYet");
      assert.equal(fresh?.status?.lastBackupTime, undefined);

      await plane.kubectlOk([
        "-n",
        ns,
        "create",
        "job",
        "--from=cronjob/orders-backup",
        "orders-now",
      ]);
      const backedUp = await eventually("lastBackupTime", async () => {
        const db = await getJson<Db>(plane, ns, "db/orders");
        return db?.status?.lastBackupTime !== undefined ? db : undefined;
      });
      const job = await getJson<{ status: { completionTime: string } }>(
        plane,
        ns,
        "job/orders-now",
      );
      assert.equal(
        Date.parse(backedUp.status!.lastBackupTime!),
        Date.parse(job!.status.completionTime),
      );
      assert.equal(condition(backedUp, "BackupFailed")?.status, "False");
      assert.equal(condition(backedUp, "BackupFailed")?.reason, "BackupSucceeded");

      await plane.kubectlOk([
        "-n",
        ns,
        "create",
        "job",
        `--from=cronjob/${failing}-backup`,
        `${failing}-now`,
      ]);
      const failed = await eventually("BackupFailed=True", async () => {
        const db = await getJson<Db>(plane, ns, `db/${failing}`);
        return condition(db, "BackupFailed")?.status === "True" ? db : undefined;
      }, { timeoutMs: 90_000 });
      assert.match(condition(failed, "BackupFailed")!.message, new RegExp(`${failing}-now failed`));
      assert.equal(failed.status?.lastBackupTime, undefined);
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(await eventCount(plane, ns, failing, "BackupFailed"), 1);
      // The healthy Database is not touched by its neighbour's failure.
      const other = await getJson<Db>(plane, ns, "db/orders");
      assert.equal(condition(other, "BackupFailed")?.status, "False");

      // Removing the schedule removes the CronJob; the status keeps the last backup time.
      const { backupSchedule: _gone, ...unscheduled } = spec;
      await applyDatabase(plane, ns, "orders", unscheduled);
      await eventually(
        "the CronJob gone",
        async () =>
          await getJson(plane, ns, "cronjob/orders-backup") === undefined ? true : undefined,
      );
      const after = await getJson<Db>(plane, ns, "db/orders");
      assert.equal(after?.status?.lastBackupTime, backedUp.status?.lastBackupTime);
      await deleteDatabases(plane, ns);
    } finally {
      await vigil.stop();
    }
  });
});
