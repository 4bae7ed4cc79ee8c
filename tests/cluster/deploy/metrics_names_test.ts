/**
 * Every metric an alert rule or a dashboard panel of `deploy/monitoring/`
 * names exists on a real Vigil's `/metrics`: Vigil runs against the plane
 * with a Database (so the per-Database gauges exist), a backup Job kwok
 * completes (so the last-backup gauge exists) and one admission request
 * straight to its webhook port (so the latency histogram exists). The
 * per-Database series carry the Database's values, leave with the Database,
 * and pass `promtool check metrics` (Prometheus' naming lint).
 */
import assert from "node:assert/strict";
import { monitoredMetricNames } from "../../../src/distribution/monitoring/mod.ts";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import { promtool } from "../../support/promtool.ts";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";
import { admit, trustingClient } from "../cli/_admission.ts";
import {
  applyDatabase,
  deleteDatabases,
  getJson,
  startScopedVigil,
  waitReady,
} from "../controller/_helpers.ts";

interface Sample {
  readonly name: string;
  readonly labels: string;
  readonly value: number;
}

async function scrape(port: number): Promise<{ text: string; samples: Sample[] }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const samples = text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((line) => {
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/);
    if (m === null) throw new Error(`Cannot parse the exposition line ${JSON.stringify(line)}`);
    return { name: m[1]!, labels: m[2] ?? "", value: Number(m[3]) };
  });
  return { text, samples };
}

/** The value of the one sample of `name` whose labels include every `label="value"` given. */
function valueOf(samples: Sample[], name: string, ...labels: string[]): number | undefined {
  const found = samples.filter((s) => s.name === name && labels.every((l) => s.labels.includes(l)));
  assert.ok(found.length <= 1, `${name}{${labels}} has ${found.length} series`);
  return found[0]?.value;
}

Deno.test("every metric the alert rules and the dashboard name is on Vigil's /metrics", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "metrics", async (ns) => {
    const vigil = await startScopedVigil(plane, ns);
    const client = trustingClient(await Deno.readTextFile(`${vigil.certDir}/ca.crt`));
    const port = vigil.vigil.metricsPort!;
    try {
      await applyDatabase(plane, ns, "orders", {
        engine: "postgres",
        version: "17.5",
        storageSize: "1Gi",
        backupSchedule: "0 3 * * *",
      });
      await waitReady(plane, ns, "orders");
      await plane.kubectlOk(["-n", ns, "create", "job", "--from=cronjob/orders-backup", "now"]);
      const db = await eventually("lastBackupTime", async () => {
        const db = await getJson<{ status?: { lastBackupTime?: string } }>(plane, ns, "db/orders");
        return db?.status?.lastBackupTime !== undefined ? db : undefined;
      });
      assert.equal(await admit(client, "127.0.0.1", vigil.vigil.webhookPort), "allowed");

      const wanted = monitoredMetricNames();
      const { text, samples } = await eventually("every monitored metric on /metrics", async () => {
        const scraped = await scrape(port);
        const names = new Set(scraped.samples.map((s) => s.name));
        return wanted.every((n) => names.has(n)) ? scraped : undefined;
      }, { timeoutMs: 30_000 }).catch(async (err) => {
        const names = new Set((await scrape(port)).samples.map((s) => s.name));
        throw new Error(
          `${(err as Error).message}: missing ${wanted.filter((n) => !names.has(n)).join(", ")}`,
        );
      });
      assert.ok(
        wanted.length >= 15,
        `only ${wanted.length} names parsed from the rules and panels`,
      );

      const orders = [`namespace="${ns}"`, 'name="orders"'];
      assert.equal(
        valueOf(samples, "vigil_database_status_condition", ...orders, 'condition="Ready"'),
        1,
      );
      assert.equal(
        valueOf(samples, "vigil_database_backup_schedule_interval_seconds", ...orders),
        86_400,
      );
      assert.equal(
        valueOf(samples, "vigil_database_backup_last_success_timestamp_seconds", ...orders),
        Date.parse(db.status!.lastBackupTime!) / 1000,
      );
      const cronJob = await getJson<{ metadata: { creationTimestamp: string } }>(
        plane,
        ns,
        "cronjob/orders-backup",
      );
      assert.equal(
        valueOf(samples, "vigil_database_backup_cronjob_created_timestamp_seconds", ...orders),
        Date.parse(cronJob!.metadata.creationTimestamp) / 1000,
      );

      // Prometheus' own lint of names, types and units, over every metric Vigil exports.
      const lint = await promtool(["check", "metrics"], { stdin: text });
      assert.deepEqual(
        [lint.code, lint.stdout + lint.stderr],
        [0, ""],
        `promtool check metrics:\n${lint.stdout}${lint.stderr}`,
      );

      await deleteDatabases(plane, ns);
      await eventually("the deleted Database's series to go", async () => {
        const left = (await scrape(port)).samples.filter((s) =>
          s.name.startsWith("vigil_database_") && s.labels.includes('name="orders"')
        );
        return left.length === 0 ? true : undefined;
      });
    } finally {
      client.close();
      await deleteDatabases(plane, ns);
      await vigil.stop();
    }
  });
});
