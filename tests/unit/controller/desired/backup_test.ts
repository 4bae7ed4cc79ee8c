/** Backup schedule translation, the backup CronJob and the backup PVC, per engine. */
import assert from "node:assert/strict";
import {
  BACKUP_RETENTION,
  backupCronJob,
  backupPvc,
  backupScript,
  cronJobSchedule,
  ownerReference,
} from "../../../../src/controller/desired/mod.ts";
import { isValidCron } from "../../../../src/database/mod.ts";
import { database, ENGINES } from "./fixtures.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

Deno.test("@every intervals that divide an hour or a day become five-field schedules", () => {
  const cases: Record<string, string> = {
    "@every 1m": "* * * * *",
    "@every 15m": "*/15 * * * *",
    "@every 30m": "*/30 * * * *",
    "@every 60m": "0 * * * *",
    "@every 1h": "0 * * * *",
    "@every 1h0m0.5s": "0 * * * *",
    "@every 2h": "0 */2 * * *",
    "@every 6h": "0 */6 * * *",
    "@every 12h": "0 */12 * * *",
    "@every 24h": "0 0 * * *",
    "@every 1440m": "0 0 * * *",
    "@every 168h": "0 0 * * 0",
  };
  for (const [schedule, cron] of Object.entries(cases)) {
    assert.equal(cronJobSchedule(schedule), cron, schedule);
    assert.ok(isValidCron(cron), cron);
  }
});

Deno.test("other @every intervals, descriptors and five-field schedules pass through verbatim", () => {
  for (
    const schedule of [
      "@every 90m",
      "@every 7m",
      "@every 5h",
      "@every 36h",
      "@every 48h",
      "@every 45s",
      "@daily",
      "@hourly",
      "@weekly",
      "30 2 * * *",
      "*/5 1-3 * JAN-MAR MON",
    ]
  ) {
    assert.equal(cronJobSchedule(schedule), schedule);
  }
});

for (const engine of ENGINES) {
  Deno.test(`${engine}: the backup CronJob dumps onto the backup PVC, one run at a time`, () => {
    const db = database(engine, { backupSchedule: "@every 6h" });
    const cron = backupCronJob(db);
    const spec = cron.spec as Any;
    assert.equal(cron.metadata.name, "shop-backup");
    assert.equal(spec.schedule, "0 */6 * * *");
    assert.equal(spec.timeZone, "Etc/UTC");
    assert.equal(spec.concurrencyPolicy, "Forbid");
    assert.equal(typeof spec.startingDeadlineSeconds, "number");
    assert.equal(spec.successfulJobsHistoryLimit, 3);
    assert.equal(spec.failedJobsHistoryLimit, 3);
    const pod = spec.jobTemplate.spec.template.spec;
    const [container] = pod.containers;
    assert.equal(
      container.image,
      engine === "postgres" ? "docker.io/library/postgres:17.5" : "docker.io/library/mysql:8.4.5",
    );
    assert.deepEqual(container.command.slice(0, 2), ["sh", "-c"]);
    assert.match(container.command[2], engine === "postgres" ? /pg_dump / : /mysqldump /);
    assert.deepEqual(pod.volumes[0], {
      name: "backup",
      persistentVolumeClaim: { claimName: "shop-backup" },
    });
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    for (const e of container.env) {
      assert.equal(e.valueFrom.secretKeyRef.name, "shop-credentials", e.name);
    }
    const labels = spec.jobTemplate.spec.template.metadata.labels;
    assert.equal(labels["app.kubernetes.io/component"], "backup");
    assert.equal(labels["app.kubernetes.io/managed-by"], "vigil");
  });

  Deno.test(`${engine}: the backup script writes a timestamped file atomically and keeps ${BACKUP_RETENTION}`, () => {
    const script = backupScript(database(engine, { backupSchedule: "@daily" }));
    assert.match(script, /^set -eu\n/);
    assert.match(script, /file="\/backup\/shop-\$\(date -u \+%Y%m%dT%H%M%SZ\)\.(dump|sql)"/);
    assert.match(script, /"\$file\.partial"/);
    assert.match(script, /mv "\$file\.partial" "\$file"/);
    assert.match(script, new RegExp(`tail -n \\+${BACKUP_RETENTION + 1}`));
    assert.doesNotMatch(script, /--password|-p"\$/);
  });

  Deno.test(`${engine}: the backup PVC is ReadWriteOnce, sized and classed like the data`, () => {
    const pvc = backupPvc(database(engine, { storageSize: "1.5Gi", storageClassName: "fast" }));
    assert.equal(pvc.metadata.name, "shop-backup");
    assert.deepEqual(pvc.spec, {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "1536Mi" } },
      storageClassName: "fast",
    });
    assert.equal(pvc.metadata.labels?.["app.kubernetes.io/component"], "backup");
  });
}

Deno.test("the backup PVC is owned by the Database only when pvcDeletionPolicy is Delete", () => {
  const retained = backupPvc(database("postgres", { backupSchedule: "@daily" }));
  assert.equal("ownerReferences" in retained.metadata, false);
  const deleted = database("postgres", { backupSchedule: "@daily", pvcDeletionPolicy: "Delete" });
  assert.deepEqual(backupPvc(deleted).metadata.ownerReferences, [ownerReference(deleted)]);
});

Deno.test("a backup CronJob needs a schedule", () => {
  assert.throws(() => backupCronJob(database("mysql")), /spec\.backupSchedule/);
});
