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
 * @module
 */
import {
  ApiextensionsV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { type Logger, noopLogger } from "./logger.ts";
import {
  buildConversionStanza,
  buildMutatingWebhookConfiguration,
  buildValidatingWebhookConfiguration,
  isSubset,
  type WebhookConfigurationSpec,
  type WebhookEndpoint,
} from "./webhook_configuration.ts";

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
 * Errors from the API server (RBAC, validation) propagate as client-node's
 * `ApiException`.
 */
export class CaBundleInjector {
  #objects: KubernetesObjectApi;
  #crds: ApiextensionsV1Api;
  #fieldManager: string;
  #logger: Logger;

  /** Creates an injector talking to the cluster of `kubeConfig`. */
  constructor(kubeConfig: KubeConfig, options: CaBundleInjectorOptions = {}) {
    this.#objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    this.#crds = kubeConfig.makeApiClient(ApiextensionsV1Api);
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
   * @throws {Error} when the CRD does not exist.
   */
  async injectConversion(
    crdName: string,
    endpoint: WebhookEndpoint,
    path: string,
    caBundlePem: string,
  ): Promise<boolean> {
    const conversion = buildConversionStanza(endpoint, path, caBundlePem);
    const actual = await this.#read({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: crdName },
    });
    if (actual === undefined) {
      throw new Error(`Cannot inject caBundle: CustomResourceDefinition ${crdName} not found`);
    }
    const spec = (actual as { spec?: { conversion?: unknown } }).spec;
    if (isSubset(conversion, plain(spec?.conversion))) return false;
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
    await this.#crds.patchCustomResourceDefinition(
      { name: crdName, body, fieldManager: this.#fieldManager },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    this.#logger.info("conversion webhook configured", { crd: crdName });
    return true;
  }

  async #apply(desired: KubernetesObject): Promise<boolean> {
    const actual = await this.#read(desired);
    if (actual !== undefined && isSubset(desired, plain(actual))) return false;
    await this.#objects.patch(
      desired,
      undefined,
      undefined,
      this.#fieldManager,
      true,
      PatchStrategy.ServerSideApply,
    );
    this.#logger.info("webhook configuration applied", {
      kind: desired.kind,
      name: desired.metadata?.name,
      created: actual === undefined,
    });
    return true;
  }

  async #read(ref: KubernetesObject): Promise<KubernetesObject | undefined> {
    try {
      return await this.#objects.read(
        ref as KubernetesObject & { metadata: { name: string } },
      );
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) return undefined;
      throw err;
    }
  }
}

/** Client-node returns class instances with `Date`s; compare as JSON. */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
