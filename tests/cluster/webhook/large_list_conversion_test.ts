/**
 * 1,500 Databases listed through v1beta1 and v1alpha1 (issue 10 item 11).
 *
 * Databases are stored as v1, so every list through another version needs
 * the conversion webhook. The review said the apiserver sends every item of
 * a LIST in one ConversionReview, which the old 3 MiB body limit would
 * refuse; what this apiserver (Kubernetes 1.37) does is measured here and
 * printed: it converts one object per ConversionReview, when the object
 * enters that version's watch cache (or, with no watch cache, as each item is
 * read from etcd), and serves lists from converted objects. The test proves
 * that 1,500 Databases of realistic size (full spec, status with conditions,
 * kubectl's last-applied annotation, managedFields) list through both
 * versions, paged, unpaged and as an informer lists them (resourceVersion=0),
 * and reports the ConversionReviews (count, largest) and the list times.
 *
 * The Databases are created in a namespace outside the admission webhooks
 * (their specs are complete) and no reconciler runs, so none carries a
 * finalizer; one deletecollection removes them before the test ends.
 */
import assert from "node:assert/strict";
import { defaultVersion } from "../../../src/database/mod.ts";
import { eventually, sharedPlane } from "../../support/shared_plane.ts";
import { startDatabaseWebhooks } from "./_webhooks.ts";

const COUNT = 1_500;
const CONCURRENCY = 16;
const MiB = 1024 * 1024;

/** A Database as `kubectl apply` leaves it: full spec, labels, last-applied annotation. */
function database(ns: string, i: number) {
  const manifest = {
    apiVersion: "vigil.dev/v1",
    kind: "Database",
    metadata: {
      name: `orders-${String(i).padStart(4, "0")}`,
      namespace: ns,
      labels: { "app.kubernetes.io/part-of": "shop", team: `team-${i % 7}`, tier: "backend" },
    },
    spec: {
      engine: i % 3 === 0 ? "mysql" : "postgres",
      version: i % 3 === 0 ? defaultVersion("mysql") : defaultVersion("postgres"),
      replicas: 1 + (i % 3),
      storageSize: "20Gi",
      storageClassName: "standard",
      resources: {
        requests: { cpu: "500m", memory: "1Gi" },
        limits: { cpu: "2", memory: "4Gi" },
      },
      config: i % 3 === 0
        ? { max_connections: "300", innodb_buffer_pool_size: "1073741824" }
        : { max_connections: "300", shared_buffers: "1GB", work_mem: "16MB" },
      backupSchedule: "0 3 * * *",
      image: "registry.example.com/mirror/postgres:17.5",
      pvcDeletionPolicy: "Retain",
    },
  };
  const lastApplied = JSON.stringify(manifest);
  return {
    ...manifest,
    metadata: {
      ...manifest.metadata,
      annotations: { "kubectl.kubernetes.io/last-applied-configuration": lastApplied },
    },
  };
}

/** A status as Vigil writes it for a running Database. */
function status(ns: string, name: string, replicas: number) {
  const condition = (type: string, reason: string) => ({
    type,
    status: "True",
    observedGeneration: 1,
    lastTransitionTime: "2026-12-01T10:00:00Z",
    reason,
    message: `${type}: all ${replicas} instances are ready and serving`,
  });
  return {
    phase: "Running",
    replicas,
    readyReplicas: replicas,
    ready: `${replicas}/${replicas}`,
    currentVersion: defaultVersion("postgres"),
    observedGeneration: 1,
    endpoints: {
      readWrite: `${name}.${ns}.svc.cluster.local:5432`,
      readOnly: `${name}-ro.${ns}.svc.cluster.local:5432`,
    },
    credentialsSecret: `${name}-credentials`,
    configHash: "3f2a9c1e7b5d4a60",
    storageSize: "20Gi",
    selector: `app.kubernetes.io/instance=${name},app.kubernetes.io/name=vigil-database`,
    conditions: [
      condition("Ready", "AllReplicasReady"),
      condition("Available", "PrimaryServing"),
      { ...condition("Progressing", "Converged"), status: "False" },
      { ...condition("Degraded", "NoFailures"), status: "False" },
    ],
  };
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

Deno.test("1,500 Databases list through v1beta1 and v1alpha1", async (t) => {
  const plane = await sharedPlane();
  const reviews: { objects: number; bytes: number }[] = [];
  const webhooks = await startDatabaseWebhooks(plane, {
    onConversion(objects) {
      const bytes = new TextEncoder().encode(JSON.stringify(objects)).byteLength;
      reviews.push({ objects: objects.length, bytes });
    },
  });
  const figures: string[] = [];
  const largest = () =>
    reviews.reduce((m, r) => r.bytes > m.bytes ? r : m, { objects: 0, bytes: 0 });
  const describe = () => {
    const top = largest();
    return `${reviews.length} ConversionReview(s), largest ${top.objects} object(s) / ` +
      `${(top.bytes / 1024).toFixed(1)} KiB`;
  };
  let ns: string | undefined;
  try {
    ns = await webhooks.createNamespace("large-list", { admission: false });
    const base = `/apis/vigil.dev/v1/namespaces/${ns}/databases`;
    const started = performance.now();
    await inParallel(Array.from({ length: COUNT }, (_, i) => i), CONCURRENCY, async (i) => {
      const db = database(ns!, i);
      await webhooks.client.request("POST", base, {
        body: db,
        query: { fieldManager: "kubectl-client-side-apply" },
      });
      await webhooks.client.request("PATCH", `${base}/${db.metadata.name}/status`, {
        body: { status: status(ns!, db.metadata.name, db.spec.replicas) },
        contentType: "application/merge-patch+json",
        query: { fieldManager: "vigil" },
      });
    });
    figures.push(
      `created ${COUNT} with status in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
        describe(),
    );

    const list = async (what: string, args: string[]) => {
      reviews.length = 0;
      const begun = performance.now();
      const out = await plane.kubectl(args);
      const ms = performance.now() - begun;
      assert.equal(out.code, 0, `${what}: ${out.stderr.slice(0, 1_000)}`);
      const items = JSON.parse(out.stdout).items as {
        apiVersion: string;
        metadata: { namespace: string };
      }[];
      figures.push(
        `${what}: ${(ms / 1000).toFixed(2)} s for ${(out.stdout.length / MiB).toFixed(2)} MiB; ` +
          describe(),
      );
      return items.filter((item) => item.metadata.namespace === ns);
    };

    await t.step("kubectl get through v1 needs no conversion (reference)", async () => {
      const mine = await list("v1 -A", ["get", "databases.v1.vigil.dev", "-A", "-o", "json"]);
      assert.equal(mine.length, COUNT);
    });

    for (const version of ["v1beta1", "v1alpha1"]) {
      const resource = `databases.${version}.vigil.dev`;
      const ofVersion = (items: { apiVersion: string }[]) =>
        items.every((item) => item.apiVersion === `vigil.dev/${version}`);

      await t.step(`kubectl get db.${version}.vigil.dev -A lists all ${COUNT}`, async () => {
        const mine = await list(`${version} -A (pages of 500)`, [
          "get",
          resource,
          "-A",
          "-o",
          "json",
        ]);
        assert.equal(mine.length, COUNT);
        assert.ok(ofVersion(mine));
      });

      await t.step(`an unpaged kubectl get through ${version} lists all ${COUNT}`, async () => {
        const mine = await list(`${version} -A --chunk-size=0`, [
          "get",
          resource,
          "-A",
          "--chunk-size=0",
          "-o",
          "json",
        ]);
        assert.equal(mine.length, COUNT);
        assert.ok(ofVersion(mine));
      });

      await t.step(
        `an informer's list (resourceVersion=0) through ${version} lists all`,
        async () => {
          const mine = await list(`${version} resourceVersion=0`, [
            "get",
            "--raw",
            `/apis/vigil.dev/${version}/databases?resourceVersion=0&limit=500`,
          ]);
          // Served from the watch cache, which ignores the limit: the whole list at once.
          assert.equal(mine.length, COUNT);
          assert.ok(ofVersion(mine));
        },
      );
    }
  } finally {
    if (ns !== undefined) {
      const started = performance.now();
      await webhooks.client.request("DELETE", `/apis/vigil.dev/v1/namespaces/${ns}/databases`);
      await eventually("the Databases to be gone", async () => {
        const out = await plane.kubectl(["get", "databases.v1.vigil.dev", "-n", ns!, "-o", "name"]);
        return out.code === 0 && out.stdout.trim() === "" ? true : undefined;
      }, { timeoutMs: 120_000 });
      figures.push(`deleted in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    await webhooks.stop();
    console.log(`item 11 figures:\n  ${figures.join("\n  ")}`);
  }
});
