/**
 * The TLS webhook server: {@linkcode WebhookRouter} behind `Deno.serve`, with
 * certificate reload that neither drops in-flight requests nor refuses new
 * connections.
 *
 * ## TLS
 * `Deno.serve` terminates TLS with rustls, which implements only TLS 1.2 and
 * TLS 1.3: there is no option for a minimum version because older protocols
 * cannot be negotiated at all. ALPN offers `h2` and `http/1.1`.
 *
 * ## Certificate reload
 * `Deno.serve` cannot swap the certificate of a running listener. Every
 * listener is therefore opened with `reusePort: true` (`SO_REUSEPORT`, needs
 * `--unstable-net`); on a new certificate a second listener is opened on the
 * same port with it, and only then is the old one shut down gracefully: it
 * stops accepting, finishes the requests it has and closes its connections
 * (HTTP/2 clients get GOAWAY and move to the new listener).
 *
 * Limits, measured on Linux with Deno 2.9.6 (tests/unit/webhook/cert_reload_test.ts):
 * requests on keep-alive connections (HTTP/2 and HTTP/1.1) never failed
 * across swaps. A client opening a *new* connection at the instant of a swap
 * can still fail: its TCP handshake may be queued on the old listener when it
 * closes and get reset (`Connection reset by peer` at connect; seen in about
 * one run in five of that test, two resets at most), and an HTTP/1.1
 * connection accepted by the old listener but without a request yet is
 * closed by the graceful shutdown (HTTP/2 clients retry after GOAWAY
 * instead). Linux's `net.ipv4.tcp_migrate_req=1` is meant to hand queued
 * handshakes to the remaining listener (not verified here). A webhook
 * configuration with `failurePolicy: Fail` turns such a failure into one
 * rejected API request that its client must retry.
 * `SO_REUSEPORT` also lets another process of the same user bind
 * the port; run the operator as its own user.
 *
 * @module
 */
import type { CertificatePair } from "./certificate_pair.ts";
import type { CertSource } from "./cert_source.ts";
import type { AdmissionHandler } from "./admission_review.ts";
import type { ConversionHandler } from "./conversion_review.ts";
import { type Logger, noopLogger } from "./logger.ts";
import { WebhookRouter, type WebhookRouterOptions } from "./webhook_router.ts";

/** Options of {@linkcode WebhookServer}. */
export interface WebhookServerOptions extends WebhookRouterOptions {
  /** Where the serving certificate comes from; the server waits for the first one. */
  certSource: CertSource;
  /** Address to listen on. Default `"0.0.0.0"`. */
  hostname?: string;
  /** Port to listen on; `0` picks a free one (see {@linkcode WebhookServer.listening}). Default 9443. */
  port?: number;
}

interface Listener {
  server: Deno.HttpServer<Deno.NetAddr>;
  pair: CertificatePair;
}

/**
 * An HTTPS server for admission and conversion webhooks.
 *
 * Register routes, then `start(signal)`. `start` resolves once the server has
 * fully stopped after `signal` aborts: every listener closed and every
 * in-flight request answered (bounded by `handlerTimeoutMs`).
 *
 * @example
 * ```ts ignore
 * const watcher = new CertWatcher("/tmp/k8s-webhook-server/serving-certs");
 * const server = new WebhookServer({ certSource: watcher, port: 9443 })
 *   .registerAdmission("/validate-vigil-dev-v1-database", validate)
 *   .registerConversion("/convert", convert);
 * await Promise.all([watcher.start(signal), server.start(signal)]);
 * ```
 */
export class WebhookServer {
  #router: WebhookRouter;
  #certSource: CertSource;
  #hostname: string;
  #port: number;
  #logger: Logger;
  #active: Listener | undefined;
  #finished = new Set<Promise<void>>();
  #reloads: Promise<void> = Promise.resolve();
  #stopping = false;
  #started = false;
  #listening: Promise<Deno.NetAddr>;
  #resolveListening!: (addr: Deno.NetAddr) => void;
  #rejectListening!: (err: unknown) => void;

  /** Creates a stopped server. @throws {RangeError} on invalid router options. */
  constructor(options: WebhookServerOptions) {
    this.#router = new WebhookRouter(options);
    this.#certSource = options.certSource;
    this.#hostname = options.hostname ?? "0.0.0.0";
    this.#port = options.port ?? 9443;
    this.#logger = options.logger ?? noopLogger;
    this.#listening = new Promise((resolve, reject) => {
      this.#resolveListening = resolve;
      this.#rejectListening = reject;
    });
    // Callers who never await `listening` must not see an unhandled rejection.
    this.#listening.catch(() => {});
  }

  /** Serves AdmissionReviews at `path`. @throws {TypeError} when the path is invalid or taken. */
  registerAdmission(path: string, handler: AdmissionHandler): this {
    this.#router.registerAdmission(path, handler);
    return this;
  }

  /** Serves ConversionReviews at `path`. @throws {TypeError} when the path is invalid or taken. */
  registerConversion(path: string, handler: ConversionHandler): this {
    this.#router.registerConversion(path, handler);
    return this;
  }

  /**
   * Resolves with the bound address once the first listener is up; rejects
   * when `start` fails or is stopped before that.
   */
  get listening(): Promise<Deno.NetAddr> {
    return this.#listening;
  }

  /** The certificate served to new connections, if listening. */
  servedCertificate(): CertificatePair | undefined {
    return this.#active?.pair;
  }

  /**
   * Waits for a certificate, listens, reloads on every new certificate, and
   * stops gracefully when `signal` aborts.
   *
   * @throws {Error} when called twice, or when the first listener cannot be
   * opened (port in use, certificate rejected by rustls).
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#started) throw new Error("Cannot start webhook server: already started");
    this.#started = true;
    try {
      const first = this.#certSource.current() ?? await this.#firstCertificate(signal);
      if (first === undefined) {
        this.#rejectListening(new Error("Cannot listen: stopped before a certificate was loaded"));
        return;
      }
      this.#active = this.#listen(first);
      this.#port = this.#active.server.addr.port;
      this.#logger.info("webhook server listening", {
        address: `${this.#hostname}:${this.#port}`,
        paths: this.#router.paths(),
        fingerprint: first.fingerprint,
      });
      this.#resolveListening(this.#active.server.addr);
    } catch (err) {
      this.#rejectListening(err);
      throw err;
    }
    const unsubscribe = this.#certSource.subscribe((pair) => {
      this.#reloads = this.#reloads.then(() => this.#reload(pair));
    });
    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
    this.#stopping = true;
    unsubscribe();
    await this.#reloads;
    await this.#active.server.shutdown();
    await Promise.all(this.#finished);
    this.#finished.clear();
    this.#logger.info("webhook server stopped");
  }

  #firstCertificate(signal: AbortSignal): Promise<CertificatePair | undefined> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(undefined);
      const onAbort = () => {
        unsubscribe();
        resolve(undefined);
      };
      const unsubscribe = this.#certSource.subscribe((pair) => {
        unsubscribe();
        signal.removeEventListener("abort", onAbort);
        resolve(pair);
      });
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  #listen(pair: CertificatePair): Listener {
    const server = Deno.serve({
      hostname: this.#hostname,
      port: this.#port,
      reusePort: true,
      cert: pair.certPem,
      key: pair.keyPem,
      onListen: () => {},
      onError: (err) => {
        this.#logger.error("webhook request failed", { error: String(err) });
        return new Response("Cannot answer review: internal error\n", { status: 500 });
      },
    }, (request) => this.#router.handle(request));
    const finished = server.finished;
    this.#finished.add(finished);
    // A finished listener is forgotten, so repeated rotations do not accumulate.
    finished.then(() => this.#finished.delete(finished), () => this.#finished.delete(finished));
    return { server, pair };
  }

  /** Swaps listeners; never rejects, keeps the old listener when the new one fails. */
  async #reload(pair: CertificatePair): Promise<void> {
    const old = this.#active;
    if (this.#stopping || old === undefined) return;
    if (old.pair.certPem === pair.certPem && old.pair.keyPem === pair.keyPem) return;
    let next: Listener;
    try {
      next = this.#listen(pair);
    } catch (err) {
      this.#logger.error("Cannot reload certificate: new listener failed; keeping the old one", {
        error: String(err),
        fingerprint: pair.fingerprint,
      });
      return;
    }
    this.#active = next;
    await old.server.shutdown();
    this.#logger.info("serving certificate reloaded", {
      fingerprint: pair.fingerprint,
      notAfter: pair.notAfter.toISOString(),
    });
  }
}
