/**
 * Shared fixtures of the webhook tests: a self-signed bundle, review bodies,
 * and a running server on 127.0.0.1 with a trusting fetch client.
 *
 * @module
 */
import {
  type AdmissionHandler,
  allowed,
  type CertSource,
  type ConversionHandler,
  generateSelfSigned,
  parseCertificatePair,
  type SelfSignedBundle,
  staticCertSource,
  WebhookServer,
  type WebhookServerOptions,
} from "../../../src/webhook/mod.ts";

/** A serving bundle for localhost/127.0.0.1. */
export function localBundle(): Promise<SelfSignedBundle> {
  return generateSelfSigned({ dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
}

/** A valid AdmissionReview request body. */
export function admissionReview(uid: string, object: Record<string, unknown> = {}) {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "vigil.dev", version: "v1", kind: "Database" },
      resource: { group: "vigil.dev", version: "v1", resource: "databases" },
      name: "db",
      namespace: "default",
      operation: "CREATE",
      userInfo: { username: "alice", groups: ["system:authenticated"] },
      object: { apiVersion: "vigil.dev/v1", kind: "Database", metadata: { name: "db" }, ...object },
      oldObject: null,
      dryRun: false,
    },
  };
}

/** A valid ConversionReview request body. */
export function conversionReview(uid: string, objects: Record<string, unknown>[]) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "ConversionReview",
    request: { uid, desiredAPIVersion: "vigil.dev/v1", objects },
  };
}

/** A running test server and a client that trusts its CA. */
export interface TestServer {
  server: WebhookServer;
  port: number;
  client: Deno.HttpClient;
  bundle: SelfSignedBundle;
  url(path: string): string;
  post(path: string, body: unknown, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/** Options of {@linkcode startTestServer}. */
export interface TestServerOptions extends Partial<WebhookServerOptions> {
  admission?: Record<string, AdmissionHandler>;
  conversion?: Record<string, ConversionHandler>;
  bundle?: SelfSignedBundle;
}

/** Starts a server on 127.0.0.1:0 with the given routes (default: `/validate` allowing all). */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const bundle = options.bundle ?? await localBundle();
  const certSource: CertSource = options.certSource ??
    staticCertSource(parseCertificatePair(bundle.certPem, bundle.keyPem));
  const server = new WebhookServer({ ...options, certSource, hostname: "127.0.0.1", port: 0 });
  for (
    const [path, h] of Object.entries(
      options.admission ?? { "/validate": () => Promise.resolve(allowed()) },
    )
  ) {
    server.registerAdmission(path, h);
  }
  for (const [path, h] of Object.entries(options.conversion ?? {})) {
    server.registerConversion(path, h);
  }
  const controller = new AbortController();
  const finished = server.start(controller.signal);
  const { port } = await server.listening;
  const client = Deno.createHttpClient({ caCerts: [bundle.caCertPem] });
  const url = (path: string) => `https://127.0.0.1:${port}${path}`;
  return {
    server,
    port,
    client,
    bundle,
    url,
    post: (path, body, init = {}) =>
      fetch(url(path), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body:
          typeof body === "string" || body instanceof Uint8Array || body instanceof ReadableStream
            ? body as BodyInit
            : JSON.stringify(body),
        client,
        ...init,
      }),
    async stop() {
      controller.abort();
      await finished;
      client.close();
    },
  };
}
