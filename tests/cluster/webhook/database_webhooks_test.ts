/**
 * The real apiserver calls Vigil's Database webhooks over TLS on loopback:
 * defaulting, validation that needs code or cluster state, conversion between
 * all three versions (stored as v1, checked in etcd itself), and a
 * certificate rotation under a loop of admission requests with no failure.
 *
 * The admission webhooks are scoped to this test's namespace by a label so
 * that other tests on the shared plane never meet them; the CRD's conversion
 * is pointed back to `None` afterwards.
 */
import assert from "node:assert/strict";
import {
  convertDatabaseHandler,
  DATABASE_WEBHOOK_PATHS,
  databaseWebhookConfigurations,
  defaultVersion,
  mutateDatabaseHandler,
  storageClassLookup,
  type StorageClassObject,
  supportedVersions,
  validateDatabaseHandler,
} from "../../../src/database/mod.ts";
import { KubeClient, loadKubeConfig } from "../../../src/kube/mod.ts";
import { Informer } from "../../../src/runtime/mod.ts";
import {
  CaBundleInjector,
  CertWatcher,
  generateSelfSigned,
  WebhookServer,
  writeCertDirectory,
} from "../../../src/webhook/mod.ts";
import { eventually, type SharedPlane, sharedPlane } from "../../support/shared_plane.ts";
import { installDatabaseCrd, unwireDatabaseWebhooks } from "../../support/database_crd.ts";

/** What these tests read back of a Database. */
interface Db {
  apiVersion: string;
  spec: Record<string, unknown>;
}

const DB_PATH = (ns: string, name = "") =>
  `/apis/vigil.dev/v1/namespaces/${ns}/databases${name ? `/${name}` : ""}`;

async function etcdValue(plane: SharedPlane, key: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${plane.etcdUrl}/v3/kv/range`, {
    method: "POST",
    body: JSON.stringify({ key: btoa(key) }),
  });
  const body = await res.json() as { kvs?: { value: string }[] };
  const raw = body.kvs?.[0]?.value;
  assert.ok(raw, `etcd has no ${key}`);
  return JSON.parse(atob(raw));
}

Deno.test("the apiserver calls the Database webhooks on loopback", async (t) => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);

  const { kubeConfig } = await loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath });
  const client = new KubeClient(kubeConfig);
  const stop = new AbortController();
  const certDir = await Deno.makeTempDir({ prefix: "vigil-webhook-certs-" });
  const first = await generateSelfSigned({ ipAddresses: ["127.0.0.1"] });
  const second = await generateSelfSigned({ ipAddresses: ["127.0.0.1"] });
  await writeCertDirectory(certDir, first);

  const watcher = new CertWatcher(certDir, { pollIntervalMs: 200 });
  const classes = new Informer(client, {
    group: "storage.k8s.io",
    version: "v1",
    plural: "storageclasses",
    namespaced: false,
    kind: "StorageClass",
  });
  const server = new WebhookServer({ certSource: watcher, hostname: "127.0.0.1", port: 0 })
    .registerAdmission(DATABASE_WEBHOOK_PATHS.mutate, mutateDatabaseHandler())
    .registerAdmission(
      DATABASE_WEBHOOK_PATHS.validate,
      validateDatabaseHandler(
        storageClassLookup(() => classes.store.list() as StorageClassObject[]),
      ),
    )
    .registerConversion(DATABASE_WEBHOOK_PATHS.convert, convertDatabaseHandler());
  const done: string[] = [];
  const track = (name: string, p: Promise<void>) => p.then(() => void done.push(name));
  const running = Promise.all([
    track("watcher", watcher.start(stop.signal)),
    track("informer", classes.start(stop.signal)),
    track("server", server.start(stop.signal)),
  ]);

  const id = crypto.randomUUID().slice(0, 8);
  const ns = `webhook-${id}`;
  const configName = `vigil-test-${id}`;
  try {
    const { port } = await server.listening;
    assert.ok(await classes.waitForSync(stop.signal));
    const endpoint = { mode: "url" as const, port };
    // Both CAs are trusted, as during a cert-manager CA rollover, so the leaf can rotate.
    const caBundle = first.caCertPem + second.caCertPem;
    const injector = new CaBundleInjector(client);
    const configs = databaseWebhookConfigurations({
      name: configName,
      namespaceLabels: { "vigil.dev/webhook-test": id },
    });
    await injector.applyMutating(configs.mutating, endpoint, caBundle);
    await injector.applyValidating(configs.validating, endpoint, caBundle);
    await injector.injectConversion(
      "databases.vigil.dev",
      endpoint,
      DATABASE_WEBHOOK_PATHS.convert,
      caBundle,
    );
    await plane.kubectlOk(["create", "namespace", ns]);
    await plane.kubectlOk(["label", "namespace", ns, `vigil.dev/webhook-test=${id}`]);

    const create = (
      name: string,
      spec: Record<string, unknown>,
      query: Record<string, string> = {},
    ) =>
      client.request<Db>("POST", DB_PATH(ns), {
        body: { apiVersion: "vigil.dev/v1", kind: "Database", metadata: { name }, spec },
        query,
      });

    await t.step(
      "an omitted version is defaulted from the catalog and a set one is kept",
      async () => {
        // The apiserver picks up new webhook configurations within a moment.
        const defaulted = await eventually(
          "the mutating webhook to default spec.version",
          async () => {
            const obj = await create(`probe-${crypto.randomUUID().slice(0, 6)}`, {}, {
              dryRun: "All",
            });
            return obj.spec?.version !== undefined ? obj : undefined;
          },
          { timeoutMs: 30_000 },
        );
        assert.equal(defaulted.spec.version, defaultVersion("postgres"));
        const older = supportedVersions("postgres").find((v) => v !== defaultVersion("postgres"))!;
        const kept = await create("kept", { version: older });
        assert.equal(kept.spec.version, older);
        const mysql = await create("mysql-default", { engine: "mysql" });
        assert.equal(mysql.spec.version, defaultVersion("mysql"));
      },
    );

    const denial = async (promise: Promise<unknown>, ...patterns: RegExp[]) => {
      const err = await promise.then(() => undefined, (e: Error) => e);
      assert.ok(err, "expected the webhook to deny the request");
      for (const p of patterns) assert.match(err.message, p);
    };

    await t.step("a downgrade across a major version is denied naming spec.version", async () => {
      await create("upgrade-path", { version: defaultVersion("postgres") });
      const lowerMajor = supportedVersions("postgres").find((v) =>
        v.split(".")[0] !== defaultVersion("postgres").split(".")[0]
      )!;
      await denial(
        client.request("PATCH", DB_PATH(ns, "upgrade-path"), {
          body: { spec: { version: lowerMajor } },
          contentType: "application/merge-patch+json",
        }),
        /spec\.version/,
        /accepted/,
      );
      const stored = await client.request<Db>("GET", DB_PATH(ns, "upgrade-path"));
      assert.equal(stored.spec.version, defaultVersion("postgres"));
    });

    await t.step(
      "an unknown config parameter and an out-of-range value are denied naming the key",
      async () => {
        await denial(
          create("unknown-param", { config: { no_such_parameter: "1" } }),
          /spec\.config\.no_such_parameter/,
          /accepted/,
        );
        await denial(
          create("out-of-range", { config: { max_connections: "99999999" } }),
          /spec\.config\.max_connections/,
          /accepted/,
        );
      },
    );

    await t.step(
      "storage growth on a class that cannot expand is denied naming spec.storageSize",
      async () => {
        await create("fixed", { storageClassName: "fixed-size", storageSize: "1Gi" });
        await denial(
          client.request("PATCH", DB_PATH(ns, "fixed"), {
            body: { spec: { storageSize: "2Gi" } },
            contentType: "application/merge-patch+json",
          }),
          /spec\.storageSize/,
          /fixed-size/,
        );
        const grows = await create("grows", { storageClassName: "standard", storageSize: "1Gi" });
        assert.equal(grows.spec.storageSize, "1Gi");
        const grown = await client.request<Db>("PATCH", DB_PATH(ns, "grows"), {
          body: { spec: { storageSize: "2Gi" } },
          contentType: "application/merge-patch+json",
        });
        assert.equal(grown.spec.storageSize, "2Gi");
      },
    );

    await t.step(
      "a v1alpha1 object is stored as v1 and reads back as every version without loss",
      async () => {
        const alpha = {
          apiVersion: "vigil.dev/v1alpha1",
          kind: "Database",
          metadata: { name: "from-alpha" },
          spec: { size: "2", dbVersion: defaultVersion("postgres"), storage: "5Gi", backup: true },
        };
        await client.request("POST", `/apis/vigil.dev/v1alpha1/namespaces/${ns}/databases`, {
          body: alpha,
        });
        const stored = await etcdValue(plane, `/registry/vigil.dev/databases/${ns}/from-alpha`);
        assert.equal(stored.apiVersion, "vigil.dev/v1");
        const asV1 = await client.request<Db>("GET", DB_PATH(ns, "from-alpha"));
        assert.equal(asV1.spec.replicas, 2);
        assert.equal(asV1.spec.version, defaultVersion("postgres"));
        assert.equal(asV1.spec.storageSize, "5Gi");
        assert.equal(asV1.spec.backupSchedule, "@daily");
        const asBeta = await client.request<Db>(
          "GET",
          `/apis/vigil.dev/v1beta1/namespaces/${ns}/databases/from-alpha`,
        );
        assert.equal(asBeta.apiVersion, "vigil.dev/v1beta1");
        const asAlpha = await client.request<Db>(
          "GET",
          `/apis/vigil.dev/v1alpha1/namespaces/${ns}/databases/from-alpha`,
        );
        assert.deepEqual(asAlpha.spec, alpha.spec);
        // A v1-only field set through v1 survives a v1alpha1 round trip (kept in an annotation).
        await client.request("PATCH", DB_PATH(ns, "from-alpha"), {
          body: { spec: { image: "registry.example.com/mirror/postgres:17.5" } },
          contentType: "application/merge-patch+json",
        });
        const alphaAgain = await client.request<Db>(
          "GET",
          `/apis/vigil.dev/v1alpha1/namespaces/${ns}/databases/from-alpha`,
        );
        await client.request(
          "PUT",
          `/apis/vigil.dev/v1alpha1/namespaces/${ns}/databases/from-alpha`,
          {
            body: alphaAgain,
          },
        );
        const v1Again = await client.request<Db>("GET", DB_PATH(ns, "from-alpha"));
        assert.equal(v1Again.spec.image, "registry.example.com/mirror/postgres:17.5");
        assert.equal(v1Again.spec.replicas, 2);
      },
    );

    await t.step(
      "the certificate rotates under 500 admission requests with none failing",
      async () => {
        const total = 500;
        let sent = 0;
        let failures = 0;
        const errors: string[] = [];
        let rotated = false;
        const worker = async () => {
          while (sent < total) {
            const i = sent++;
            if (i === 150 && !rotated) {
              rotated = true;
              await writeCertDirectory(certDir, second);
            }
            try {
              const obj = await create(`rot-${i}`, {}, { dryRun: "All" });
              if (obj.spec?.version === undefined) throw new Error("not defaulted");
            } catch (err) {
              failures++;
              if (errors.length < 5) errors.push((err as Error).message);
            }
          }
        };
        await Promise.all(Array.from({ length: 8 }, worker));
        assert.equal(failures, 0, errors.join("\n"));
        await eventually("the new certificate to be served", () =>
          Promise.resolve(
            server.servedCertificate()?.certPem.trim() === second.certPem.trim() ? true : undefined,
          ));
      },
    );
  } finally {
    await unwireDatabaseWebhooks(plane, configName);
    await plane.kubectl(["delete", "namespace", ns, "--wait=false", "--ignore-not-found"]);
    stop.abort();
    const timer = setTimeout(
      () => console.error("still running after 10s; stopped:", done),
      10_000,
    );
    await running;
    clearTimeout(timer);
    await Deno.remove(certDir, { recursive: true });
  }
});
