/**
 * The TLS webhook server: {@linkcode WebhookRouter} behind one `node:https`
 * listener whose certificate is swapped in place, so that a reload neither
 * drops a request nor closes a connection.
 *
 * ## Why `node:https` and not `Deno.serve`
 * `Deno.serve` cannot change the certificate of a running listener; the only
 * way to reload was a second listener on the same port (`SO_REUSEPORT`) and a
 * graceful shutdown of the first. Against the real kube-apiserver that lost
 * requests: the shutdown closes idle keep-alive connections, the apiserver's
 * Go client reuses one at that instant, gets `connection reset by peer`, and
 * Go does not retry a POST — about every second run of the cluster rotation
 * test failed an admission request. controller-runtime's `certwatcher` has
 * none of this because Go's `tls.Config.GetCertificate` picks the certificate
 * per handshake on one listener that lives forever. `node:https` gives the
 * same semantics: `server.setSecureContext()` applies to every handshake after
 * the call, while established connections keep the certificate they were
 * opened with and stay open.
 *
 * ## TLS and HTTP
 * TLS 1.2 or later (`minVersion: "TLSv1.2"`); ALPN offers `http/1.1` only
 * (the API server's client is content with HTTP/1.1 keep-alive). Idle
 * keep-alive connections are kept for {@linkcode KEEP_ALIVE_TIMEOUT_MS},
 * longer than the 90 s after which the API server's client drops them
 * itself: a server that closes an idle connection races the client reusing
 * it, which is the failure this module exists to avoid.
 *
 * ## Stopping
 * When the signal aborts, the server stops accepting, closes idle
 * connections, lets in-flight requests finish (answered with
 * `connection: close`) for at most `handlerTimeoutMs` plus
 * {@linkcode STOP_GRACE_MS}, then destroys every remaining connection —
 * including ones still in the TLS handshake — so that `start()` never waits
 * on a client's idle connection.
 *
 * @module
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { CertificatePair } from "./certificate_pair.ts";
import type { CertSource } from "./cert_source.ts";
import type { AdmissionHandler } from "./admission_review.ts";
import type { ConversionHandler } from "./conversion_review.ts";
import { type Logger, noopLogger } from "./logger.ts";
import {
  DEFAULT_HANDLER_TIMEOUT_MS,
  TOO_LARGE,
  type WebhookRequest,
  WebhookRouter,
  type WebhookRouterOptions,
} from "./webhook_router.ts";
import { realTimers, type Timers } from "./timers.ts";
import { joinChunks } from "./_read_body.ts";

/** How long an idle keep-alive connection is kept: above the API server's 90 s idle timeout. */
export const KEEP_ALIVE_TIMEOUT_MS = 120_000;
/** Time beyond `handlerTimeoutMs` that in-flight requests get to be written out on stop. */
export const STOP_GRACE_MS = 1_000;

/** Options of {@linkcode WebhookServer}. */
export interface WebhookServerOptions extends WebhookRouterOptions {
  /** Where the serving certificate comes from; the server waits for the first one. */
  certSource: CertSource;
  /** Address to listen on. Default `"0.0.0.0"`. */
  hostname?: string;
  /** Port to listen on; `0` picks a free one (see {@linkcode WebhookServer.listening}). Default 9443. */
  port?: number;
}

/**
 * An HTTPS server for admission and conversion webhooks.
 *
 * Register routes, then `start(signal)`. `start` resolves once the server has
 * fully stopped after `signal` aborts: the listener closed, every in-flight
 * request answered (bounded by `handlerTimeoutMs` + {@linkcode STOP_GRACE_MS})
 * and every connection closed.
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
  #handlerTimeoutMs: number;
  #logger: Logger;
  #clock: Timers;
  #pair: CertificatePair | undefined;
  #sockets = new Set<Socket>();
  #inFlight = 0;
  #drained: (() => void) | undefined;
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
    this.#handlerTimeoutMs = options.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS;
    this.#logger = options.logger ?? noopLogger;
    this.#clock = options.clock ?? realTimers;
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
   * Resolves with the bound address once the server listens; rejects when
   * `start` fails or is stopped before that.
   */
  get listening(): Promise<Deno.NetAddr> {
    return this.#listening;
  }

  /** The certificate served to new connections, if listening. */
  servedCertificate(): CertificatePair | undefined {
    return this.#pair;
  }

  /**
   * Waits for a certificate, listens, swaps in every new certificate, and
   * stops gracefully when `signal` aborts.
   *
   * Guarantees: subscribes to the certificate source before it reads the
   * current pair, so a rotation announced while waiting for the first pair or
   * while the listener binds is applied as soon as it listens, never missed.
   *
   * @throws {Error} when called twice, or when the server cannot listen
   * (port in use, certificate or key rejected by OpenSSL).
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#started) throw new Error("Cannot start webhook server: already started");
    this.#started = true;
    let live: Server | undefined;
    let latest: CertificatePair | undefined;
    let announced: (() => void) | undefined;
    const unsubscribe = this.#certSource.subscribe((pair) => {
      latest = pair;
      if (live !== undefined) this.#reload(live, pair);
      announced?.();
    });
    try {
      let server: Server;
      try {
        const first = this.#certSource.current() ?? latest ??
          await new Promise<CertificatePair | undefined>((resolve) => {
            if (signal.aborted) return resolve(undefined);
            const onAbort = () => resolve(undefined);
            signal.addEventListener("abort", onAbort, { once: true });
            announced = () => {
              signal.removeEventListener("abort", onAbort);
              resolve(latest);
            };
          });
        announced = undefined;
        if (first === undefined) {
          this.#rejectListening(
            new Error("Cannot listen: stopped before a certificate was loaded"),
          );
          return;
        }
        server = this.#createServer(first);
        const addr = await this.#listen(server);
        this.#pair = first;
        this.#port = addr.port;
        this.#logger.info("webhook server listening", {
          address: `${this.#hostname}:${this.#port}`,
          paths: this.#router.paths(),
          fingerprint: first.fingerprint,
        });
        live = server;
        // A pair announced while the listener was binding; a no-op when it is `first`.
        if (latest !== undefined) this.#reload(server, latest);
        this.#resolveListening(addr);
      } catch (err) {
        this.#rejectListening(err);
        throw err;
      }
      await new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      live = undefined;
      await this.#stop(server);
      this.#logger.info("webhook server stopped");
    } finally {
      unsubscribe();
    }
  }

  #createServer(pair: CertificatePair): Server {
    const server = createServer(
      {
        cert: pair.certPem,
        key: pair.keyPem,
        minVersion: "TLSv1.2",
        ALPNProtocols: ["http/1.1"],
      },
      (req, res) => void this.#serve(req, res),
    );
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    // Every TCP connection, from before its TLS handshake on, so that stopping can close it.
    server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    });
    server.on("tlsClientError", (err: Error) => {
      this.#logger.debug("TLS handshake failed", { error: String(err) });
    });
    return server;
  }

  #listen(server: Server): Promise<Deno.NetAddr> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        server.close();
        reject(err);
      };
      server.once("error", onError);
      server.listen(this.#port, this.#hostname, () => {
        server.off("error", onError);
        server.on("error", (err: Error) => {
          this.#logger.error("webhook server error", { error: String(err) });
        });
        const addr = server.address();
        if (addr === null || typeof addr === "string") {
          reject(new Error(`Cannot listen: unexpected address ${String(addr)}`));
          return;
        }
        resolve({ transport: "tcp", hostname: addr.address, port: addr.port });
      });
    });
  }

  /**
   * Hands the node request to the router as it is (no web `Request`,
   * `Headers` or body stream in between: that bridge was about a quarter of
   * the CPU per request, issue 14) and writes the answer's bytes once.
   */
  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#inFlight++;
    try {
      const answer = await this.#router.answer(nodeRequest(req));
      const headers = answer.headers;
      headers["content-length"] = String(answer.body.byteLength);
      if (this.#stopping) headers["connection"] = "close";
      if (!res.destroyed) {
        await new Promise<void>((resolve) => {
          res.once("finish", resolve);
          res.once("close", resolve);
          res.writeHead(answer.status, headers);
          res.end(answer.body);
        });
      }
      discard(req);
    } catch (err) {
      this.#logger.error("webhook request failed", { error: String(err) });
      res.destroy();
    } finally {
      this.#inFlight--;
      if (this.#inFlight === 0) this.#drained?.();
    }
  }

  /** Applies to every TLS handshake from now on; never throws, keeps the old pair on failure. */
  #reload(server: Server, pair: CertificatePair): void {
    const old = this.#pair;
    if (this.#stopping || old === undefined) return;
    if (old.certPem === pair.certPem && old.keyPem === pair.keyPem) return;
    try {
      server.setSecureContext({ cert: pair.certPem, key: pair.keyPem, minVersion: "TLSv1.2" });
    } catch (err) {
      this.#logger.error("Cannot reload certificate: rejected by TLS; keeping the old one", {
        error: String(err),
        fingerprint: pair.fingerprint,
      });
      return;
    }
    this.#pair = pair;
    this.#logger.info("serving certificate reloaded", {
      fingerprint: pair.fingerprint,
      notAfter: pair.notAfter.toISOString(),
    });
  }

  async #stop(server: Server): Promise<void> {
    this.#stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (this.#inFlight > 0) {
      let timer: number | undefined;
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
        timer = this.#clock.setTimeout(() => {
          this.#logger.warn("webhook server stopping with requests still in flight", {
            inFlight: this.#inFlight,
          });
          resolve();
        }, this.#handlerTimeoutMs + STOP_GRACE_MS);
      });
      if (timer !== undefined) this.#clock.clearTimeout(timer);
      this.#drained = undefined;
    }
    server.closeAllConnections();
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}

/** The router's view of a node request; its body is read only when the router asks. */
function nodeRequest(req: IncomingMessage): WebhookRequest {
  const declared = req.headers["content-length"];
  return {
    method: req.method ?? "GET",
    url: req.url ?? "/",
    contentType: req.headers["content-type"],
    contentLength: declared === undefined ? undefined : Number(declared),
    readBody: (maxBytes) => readNodeBody(req, maxBytes),
  };
}

/**
 * Reads a node request's body whole, or stops once more than `maxBytes`
 * arrived (the rest is dropped by {@linkcode discard} after the response).
 * Rejects when the client goes away before the body ends.
 */
function readNodeBody(
  req: IncomingMessage,
  maxBytes: number,
): Promise<Uint8Array | typeof TOO_LARGE> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("aborted", onGone);
      req.off("error", onGone);
      req.off("close", onClose);
    };
    const onData = (chunk: Uint8Array) => {
      total += chunk.byteLength;
      if (total > maxBytes) {
        cleanup();
        req.pause();
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(joinChunks(chunks, total));
    };
    const onGone = () => {
      cleanup();
      reject(new Error("Cannot read request body: client went away"));
    };
    const onClose = () => {
      if (!req.complete) onGone();
    };
    if (req.complete && req.readableEnded) return resolve(new Uint8Array(0));
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("aborted", onGone);
    req.once("error", onGone);
    req.once("close", onClose);
  });
}

/** Reads and drops the rest of a request body (a no-op once it has ended). */
function discard(req: IncomingMessage): void {
  if (req.readableEnded) return;
  req.removeAllListeners("data");
  req.resume();
}
