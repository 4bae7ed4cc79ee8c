/**
 * The generic webhook server of Vigil: AdmissionReview and ConversionReview
 * v1 over TLS on `node:https`, in-place certificate reload from a
 * cert-manager mount, a self-signed mode, CA bundle injection and
 * controller-runtime metrics.
 * It knows nothing about `Database`; handlers are registered by path.
 *
 * @example
 * ```ts ignore
 * import { allowed, CertWatcher, createWebhookMetrics, denied, WebhookServer } from "./mod.ts";
 *
 * const certs = new CertWatcher("/tmp/k8s-webhook-server/serving-certs");
 * const server = new WebhookServer({ certSource: certs, metrics: createWebhookMetrics(registry) })
 *   .registerAdmission("/validate-vigil-dev-v1-database", async (req) =>
 *     req.object?.spec ? allowed() : denied(422, "spec: Required value"));
 * await Promise.all([certs.start(signal), server.start(signal)]);
 * ```
 *
 * @module
 */
export * from "./admission_review.ts";
export * from "./conversion_review.ts";
export * from "./certificate_pair.ts";
export * from "./cert_source.ts";
export * from "./cert_watcher.ts";
export * from "./ca_bundle_injector.ts";
export * from "./errors.ts";
export * from "./logger.ts";
export * from "./self_signed.ts";
export * from "./timers.ts";
export * from "./webhook_configuration.ts";
export * from "./webhook_metrics.ts";
export * from "./webhook_router.ts";
export * from "./webhook_server.ts";
