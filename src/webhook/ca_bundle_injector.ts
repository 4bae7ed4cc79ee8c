/**
 * Writes the webhook registrations and the CA bundle into the cluster, for
 * self-signed mode and local runs (cert-manager's CA injector does this job
 * in production).
 *
 * Every write is read-compare-write: the object is read, and a server-side
 * apply (webhook configurations) or a merge patch of `spec.conversion` (CRD)
 * is sent only when a field Vigil sets differs. A second run with the same
 * input sends no write.
 *
 * Every request goes through the operator's {@link KubeClient}, so failures
 * are its typed errors and requests count in `rest_client_requests_total`.
 *
 * @module
 */
import { type KubeClient, NotFoundError } from "../kube/mod.ts";
import { type Logger, noopLogger } from "./logger.ts";
import {
  buildConversionStanza,
  buildMutatingWebhookConfiguration,
  buildValidatingWebhookConfiguration,
  isSubset,
  type WebhookConfigurationSpec,
  type WebhookEndpoint,
} from "./webhook_configuration.ts";

/** The object fields the injector reads. */
interface KubernetesObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string };
}

/** Where the kinds the injector writes live, cluster-scoped all. */
const RESOURCES: Readonly<Record<string, string>> = {
  MutatingWebhookConfiguration:
    "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
  ValidatingWebhookConfiguration:
    "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
  CustomResourceDefinition: "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
};

/** Options of {@linkcode CaBundleInjector}. */
export interface CaBundleInjectorOptions {
  /** Server-side apply field manager. Default `"vigil"`. */
  fieldManager?: string;
  /** Where writes are logged. Default: nowhere. */
  logger?: Logger;
}

/**
 * Creates or updates webhook configurations and CRD conversion settings.
 *
 * Errors from the API server (RBAC, validation) propagate as the
 * {@link KubeClient}'s typed errors (`ForbiddenError`, `InvalidError`, …).
 */
export class CaBundleInjector {
  readonly #client: Pick<KubeClient, "request">;
  readonly #fieldManager: string;
  readonly #logger: Logger;

  /** Creates an injector sending its requests through `client`. */
  constructor(client: Pick<KubeClient, "request">, options: CaBundleInjectorOptions = {}) {
    this.#client = client;
    this.#fieldManager = options.fieldManager ?? "vigil";
    this.#logger = options.logger ?? noopLogger;
  }

  /**
   * Creates or updates a `MutatingWebhookConfiguration`.
   *
   * @returns whether a write was sent.
   */
  applyMutating(
    spec: WebhookConfigurationSpec,
    endpoint: WebhookEndpoint,
    caBundlePem: string,
  ): Promise<boolean> {
    return this.#apply(buildMutatingWebhookConfiguration(spec, endpoint, caBundlePem));
  }

  /**
   * Creates or updates a `ValidatingWebhookConfiguration`.
   *
   * @returns whether a write was sent.
   */
  applyValidating(
    spec: WebhookConfigurationSpec,
    endpoint: WebhookEndpoint,
    caBundlePem: string,
  ): Promise<boolean> {
    return this.#apply(buildValidatingWebhookConfiguration(spec, endpoint, caBundlePem));
  }

  /**
   * Points the conversion webhook of CRD `crdName` at `path` on `endpoint`
   * and sets its `caBundle`.
   *
   * @returns whether a write was sent.
   * @throws {NotFoundError} when the CRD does not exist.
   */
  async injectConversion(
    crdName: string,
    endpoint: WebhookEndpoint,
    path: string,
    caBundlePem: string,
  ): Promise<boolean> {
    const conversion = buildConversionStanza(endpoint, path, caBundlePem);
    const crd = { kind: "CustomResourceDefinition", metadata: { name: crdName } };
    const actual = await this.#read(crd);
    if (actual === undefined) {
      throw new NotFoundError(
        `Cannot inject caBundle: CustomResourceDefinition ${crdName} not found`,
        { status: 404, reason: "NotFound" },
      );
    }
    const spec = (actual as { spec?: { conversion?: unknown } }).spec;
    if (isSubset(conversion, spec?.conversion)) return false;
    // A merge patch keeps keys it does not mention: clear the other way of
    // reaching the webhook, or the CRD ends up with both url and service,
    // which the apiserver refuses ("exactly one of url or service").
    const clientConfig = {
      ...conversion.webhook.clientConfig,
      ...(conversion.webhook.clientConfig.url === undefined ? { url: null } : { service: null }),
    };
    const body = {
      spec: { conversion: { ...conversion, webhook: { ...conversion.webhook, clientConfig } } },
    };
    await this.#client.request("PATCH", pathOf(crd), {
      query: { fieldManager: this.#fieldManager },
      body,
      contentType: "application/merge-patch+json",
    });
    this.#logger.info("conversion webhook configured", { crd: crdName });
    return true;
  }

  async #apply(desired: KubernetesObject): Promise<boolean> {
    const actual = await this.#read(desired);
    if (actual !== undefined && isSubset(desired, actual)) return false;
    await this.#client.request("PATCH", pathOf(desired), {
      query: { fieldManager: this.#fieldManager, force: true },
      body: desired,
      contentType: "application/apply-patch+yaml",
    });
    this.#logger.info("webhook configuration applied", {
      kind: desired.kind,
      name: desired.metadata?.name,
      created: actual === undefined,
    });
    return true;
  }

  async #read(ref: KubernetesObject): Promise<KubernetesObject | undefined> {
    try {
      return await this.#client.request<KubernetesObject>("GET", pathOf(ref));
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }
}

function pathOf(object: KubernetesObject): string {
  const collection = RESOURCES[object.kind ?? ""];
  if (collection === undefined) throw new TypeError(`Cannot inject into a ${object.kind}`);
  return `${collection}/${encodeURIComponent(object.metadata?.name ?? "")}`;
}
