/**
 * Vigil's Database webhooks served in the test process and wired into the
 * shared plane: the same handlers and server defaults `vigil run` uses, with
 * no reconciler at all (so no Database a test creates ever gets Vigil's
 * finalizer). The admission webhooks are scoped to namespaces carrying this
 * run's label; conversion is cluster-wide while it runs and is pointed back
 * to `None` by `stop()`.
 *
 * @module
 */
import {
  convertDatabaseHandler,
  DATABASE_WEBHOOK_PATHS,
  databaseWebhookConfigurations,
  mutateDatabaseHandler,
  storageClassLookup,
  type StorageClassObject,
  validateDatabaseHandler,
} from "../../../src/database/mod.ts";
import { KubeClient, loadKubeConfig } from "../../../src/kube/mod.ts";
import { Informer } from "../../../src/runtime/mod.ts";
import {
  CaBundleInjector,
  type ConversionHandler,
  generateSelfSigned,
  parseCertificatePair,
  staticCertSource,
  WebhookServer,
} from "../../../src/webhook/mod.ts";
import type { SharedPlane } from "../../support/shared_plane.ts";
import { installDatabaseCrd, unwireDatabaseWebhooks } from "../../support/database_crd.ts";

/** Running webhooks; `stop()` unwires them and resolves once the server has stopped. */
export interface DatabaseWebhooks {
  readonly client: KubeClient;
  /** Label `vigil.dev/webhook-test=<id>` puts a namespace under the admission webhooks. */
  readonly namespaceLabel: string;
  /**
   * Creates a namespace, under the admission webhooks unless `admission` is
   * false (conversion is cluster-wide either way); `stop()` deletes it.
   */
  createNamespace(prefix: string, options?: { admission?: boolean }): Promise<string>;
  stop(): Promise<void>;
}

/** Options of {@linkcode startDatabaseWebhooks}. */
export interface DatabaseWebhooksOptions {
  /** Sees every ConversionReview's objects before Vigil's handler converts them. */
  onConversion?: (objects: readonly Record<string, unknown>[], desiredAPIVersion: string) => void;
}

/** Installs the CRD, serves Vigil's three Database webhooks on loopback and wires them in. */
export async function startDatabaseWebhooks(
  plane: SharedPlane,
  options: DatabaseWebhooksOptions = {},
): Promise<DatabaseWebhooks> {
  await installDatabaseCrd(plane);
  const { kubeConfig } = await loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath });
  const client = new KubeClient(kubeConfig);
  const tls = await generateSelfSigned({ ipAddresses: ["127.0.0.1"] });
  const stopping = new AbortController();
  const classes = new Informer(client, {
    group: "storage.k8s.io",
    version: "v1",
    plural: "storageclasses",
    namespaced: false,
    kind: "StorageClass",
  });
  const server = new WebhookServer({
    certSource: staticCertSource(parseCertificatePair(tls.certPem, tls.keyPem)),
    hostname: "127.0.0.1",
    port: 0,
  })
    .registerAdmission(DATABASE_WEBHOOK_PATHS.mutate, mutateDatabaseHandler())
    .registerAdmission(
      DATABASE_WEBHOOK_PATHS.validate,
      validateDatabaseHandler(
        storageClassLookup(() => classes.store.list() as StorageClassObject[]),
      ),
    )
    .registerConversion(DATABASE_WEBHOOK_PATHS.convert, observed(convertDatabaseHandler()));
  function observed(handler: ConversionHandler): ConversionHandler {
    return (objects, desiredAPIVersion, signal) => {
      options.onConversion?.(objects, desiredAPIVersion);
      return handler(objects, desiredAPIVersion, signal);
    };
  }
  const running = Promise.all([classes.start(stopping.signal), server.start(stopping.signal)]);
  const id = crypto.randomUUID().slice(0, 8);
  const configName = `vigil-test-${id}`;
  const namespaces: string[] = [];
  const stop = async () => {
    await unwireDatabaseWebhooks(plane, configName);
    for (const ns of namespaces) {
      await plane.kubectl(["delete", "namespace", ns, "--wait=false", "--ignore-not-found"]);
    }
    stopping.abort();
    await running;
  };
  try {
    const { port } = await server.listening;
    await classes.waitForSync(stopping.signal);
    const endpoint = { mode: "url" as const, port };
    const injector = new CaBundleInjector(client);
    const configs = databaseWebhookConfigurations({
      name: configName,
      namespaceLabels: { "vigil.dev/webhook-test": id },
    });
    await injector.applyMutating(configs.mutating, endpoint, tls.caCertPem);
    await injector.applyValidating(configs.validating, endpoint, tls.caCertPem);
    await injector.injectConversion(
      "databases.vigil.dev",
      endpoint,
      DATABASE_WEBHOOK_PATHS.convert,
      tls.caCertPem,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    client,
    namespaceLabel: `vigil.dev/webhook-test=${id}`,
    async createNamespace(prefix, { admission = true } = {}) {
      const ns = `${prefix}-${id}`;
      await plane.kubectlOk(["create", "namespace", ns]);
      namespaces.push(ns);
      if (admission) {
        await plane.kubectlOk(["label", "namespace", ns, `vigil.dev/webhook-test=${id}`]);
      }
      return ns;
    },
    stop,
  };
}
