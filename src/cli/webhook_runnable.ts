/**
 * The webhook server as one manager runnable: certificates (from a
 * cert-manager directory, or in self-signed mode signed by the CA all
 * replicas share and wired into the cluster), the TLS server with the Database handlers, and readiness
 * once it listens — before the caches start, so that conversion answers
 * before anything lists Databases.
 *
 * @module
 */
import type { KubeClient } from "../kube/mod.ts";
import {
  CaBundleInjector,
  type CertSource,
  CertWatcher,
  parseCertificatePair,
  signServingCertificate,
  staticCertSource,
  type WebhookEndpoint,
  type WebhookMetrics,
  WebhookServer,
} from "../webhook/mod.ts";
import {
  convertDatabaseHandler,
  CRD_NAME,
  DATABASE_WEBHOOK_PATHS,
  type DatabaseAdmissionContext,
  databaseWebhookConfigurations,
  mutateDatabaseHandler,
  validateDatabaseHandler,
} from "../database/mod.ts";
import type { Runnable } from "../runtime/mod.ts";
import type { Logger } from "../observability/log.ts";
import { isIpLiteral } from "../ip_address.ts";
import { listenHost } from "./listen_host.ts";
import { sharedSelfSignedCa } from "./shared_ca.ts";

/** Where certificates come from. */
export type CertificateMode =
  | { readonly kind: "directory"; readonly dir: string }
  | {
    readonly kind: "selfSigned";
    /** Registers the webhooks: the operator's client, so its requests are counted. */
    readonly client: KubeClient;
    /** How the apiserver reaches this process. */
    readonly endpoint: WebhookEndpoint;
    /** Namespace of the Secret that holds the CA every replica shares (see shared_ca.ts). */
    readonly caNamespace: string;
  };

/** Options of {@link DatabaseWebhookRunnable}. */
export interface DatabaseWebhookOptions {
  readonly port: number;
  /** Default `::`: every interface, IPv6 and IPv4 (see {@link listenHost}). */
  readonly hostname?: string;
  readonly certificates: CertificateMode;
  readonly admission: DatabaseAdmissionContext;
  /** Whether this operator runs the Databases of a namespace (they get its finalizer at creation). */
  readonly runsNamespace?: (namespace: string) => boolean;
  readonly metrics: WebhookMetrics;
  readonly log: Logger;
}

/** Serves the Database webhooks; `ready()` resolves once it listens (and, self-signed, is wired in). */
export class DatabaseWebhookRunnable implements Runnable {
  readonly #o: DatabaseWebhookOptions;
  readonly #ready = Promise.withResolvers<void>();
  #certs: CertSource | undefined;

  constructor(options: DatabaseWebhookOptions) {
    this.#o = options;
    this.#ready.promise.catch(() => {});
  }

  /** Whether a serving certificate is loaded (for `/readyz`). */
  certificateLoaded(): boolean {
    return this.#certs?.current() !== undefined;
  }

  /** Resolves once the server listens and, in self-signed mode, the cluster trusts it. */
  ready(signal: AbortSignal): Promise<void> {
    return Promise.race([
      this.#ready.promise,
      new Promise<void>((resolve) =>
        signal.addEventListener("abort", () => resolve(), { once: true })
      ),
    ]);
  }

  /** Runs until `signal` aborts; resolves once the server has stopped. */
  async start(signal: AbortSignal): Promise<void> {
    const { certificates, log } = this.#o;
    let watcher: CertWatcher | undefined;
    let caBundle: string | undefined;
    if (certificates.kind === "directory") {
      watcher = new CertWatcher(certificates.dir, { logger: log });
      this.#certs = watcher;
    } else {
      const endpoint = certificates.endpoint;
      // One CA for every replica, or each would write its own caBundle over the others'.
      const ca = await sharedSelfSignedCa(certificates.client, {
        namespace: certificates.caNamespace,
        log,
      });
      const host = endpoint.mode === "url" ? endpoint.host ?? "127.0.0.1" : "";
      const leaf = await signServingCertificate(
        ca,
        endpoint.mode === "url"
          ? isIpLiteral(host) ? { ipAddresses: [host] } : { dnsNames: [host] }
          : {
            dnsNames: [
              `${endpoint.name}.${endpoint.namespace}.svc`,
              `${endpoint.name}.${endpoint.namespace}.svc.cluster.local`,
            ],
          },
      );
      this.#certs = staticCertSource(parseCertificatePair(leaf.certPem, leaf.keyPem));
      caBundle = ca.caCertPem;
    }
    const server = new WebhookServer({
      certSource: this.#certs,
      port: this.#o.port,
      hostname: listenHost(this.#o.hostname ?? "::"),
      metrics: this.#o.metrics,
      logger: log,
    })
      .registerAdmission(
        DATABASE_WEBHOOK_PATHS.mutate,
        mutateDatabaseHandler(
          this.#o.runsNamespace === undefined ? {} : { runsNamespace: this.#o.runsNamespace },
        ),
      )
      .registerAdmission(
        DATABASE_WEBHOOK_PATHS.validate,
        validateDatabaseHandler(this.#o.admission),
      )
      .registerConversion(DATABASE_WEBHOOK_PATHS.convert, convertDatabaseHandler());

    const wire = async () => {
      const addr = await server.listening;
      log.info("webhook server listening", { port: addr.port });
      if (certificates.kind === "selfSigned" && caBundle !== undefined) {
        const injector = new CaBundleInjector(certificates.client, { logger: log });
        const configs = databaseWebhookConfigurations();
        await injector.applyMutating(configs.mutating, certificates.endpoint, caBundle);
        await injector.applyValidating(configs.validating, certificates.endpoint, caBundle);
        await injector.injectConversion(
          CRD_NAME,
          certificates.endpoint,
          DATABASE_WEBHOOK_PATHS.convert,
          caBundle,
        );
        log.info("self-signed webhook certificate wired into the cluster", {
          endpoint: certificates.endpoint,
        });
      }
      this.#ready.resolve();
    };
    const wiring = wire().catch((err) => {
      this.#ready.reject(err);
      throw err;
    });
    await Promise.all([watcher?.start(signal), server.start(signal), wiring]);
  }
}
