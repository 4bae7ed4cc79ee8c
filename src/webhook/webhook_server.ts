/**
 * The TLS webhook server: {@linkcode WebhookRouter} behind `Deno.serve`, with
 * certificate reloads that drain the old listener instead of closing it.
 *
 * ## Why `Deno.serve`
 * Deno's native server parses HTTP and runs TLS in Rust and hands the router
 * a `Request` directly; `node:https` ran both through Deno's Node
 * compatibility layer and a per-request bridge to web `Request`/`Response`.
 * On one core the bare native server costs about half the CPU per request of
 * the bare `node:https` one (`tests/bench/webhook_throughput_bench.ts`).
 *
 * ## Certificate reload by draining
 * `Deno.serve` cannot change the certificate of a running listener, so a new
 * certificate gets a new listener on the same port (`SO_REUSEPORT`, which
 * needs `--unstable-net`). Closing the old listener at once would reset the
 * API server's idle keep-alive connections on it, and the API server's Go
 * client does not retry a POST on a reset. So the old listener *drains*: it
 * answers every request still arriving on its open connections with
 * `connection: close` (a Go client then drops that connection and dials the
 * new listener), and it is closed only after {@linkcode DRAIN_MS} — longer
 * than the 90 s after which the API server's client drops an idle connection
 * itself — and {@linkcode QUIET_MS} without a request, once no request is in
 * flight on it. The kernel spreads new
 * connections over both listeners meanwhile; those the old one gets are
 * served (with the old, still valid certificate) and closed after one answer.
 *
 * ## TLS and HTTP
 * TLS 1.2 or later (rustls); HTTP/1.1, and HTTP/2 where the client offers it.
 * Idle keep-alive connections are left for the client to close: a server
 * that closes an idle connection races the client reusing it.
 *
 * ## Stopping
 * When the signal aborts, every answer carries `connection: close`, in-flight
 * requests get at most `handlerTimeoutMs` plus {@linkcode STOP_GRACE_MS} to
 * finish, then every listener and connection is closed — including idle ones
 * and ones still in the TLS handshake — so that `start()` never waits on a
 * client.
 *
 * @module
 */
import type { CertificatePair } from "./certificate_pair.ts";
import type { CertSource } from "./cert_source.ts";
import type { AdmissionHandler } from "./admission_review.ts";
import type { ConversionHandler } from "./conversion_review.ts";
import { type Logger, noopLogger } from "./logger.ts";
import { realTimers, type Timers } from "./timers.ts";
import {
  DEFAULT_HANDLER_TIMEOUT_MS,
  WebhookRouter,
  type WebhookRouterOptions,
} from "./webhook_router.ts";

/**
 * How long a replaced listener drains before it closes: above the API
 * server's 90 s idle timeout, so that by then its client has dropped every
 * idle connection to it.
 */
export const DRAIN_MS = 120_000;
/** Time beyond `handlerTimeoutMs` that in-flight requests get to be written out on stop. */
export const STOP_GRACE_MS = 1_000;
/**
 * A drained listener closes only after this long without a request (for at
 * most another `drainMs`): while it still gets requests the kernel still
 * hands it new connections, and one accepted as it closes would be reset.
 */
export const QUIET_MS = 5_000;
/** Time a listener with nothing in flight gets to flush and close its connections gracefully. */
export const SHUTDOWN_MS = 250;

/** Options of {@linkcode WebhookServer}. */
export interface WebhookServerOptions extends WebhookRouterOptions {
  /** Where the serving certificate comes from; the server waits for the first one. */
  certSource: CertSource;
  /** Address to listen on. Default `"0.0.0.0"`. */
  hostname?: string;
  /** Port to listen on; `0` picks a free one (see {@linkcode WebhookServer.listening}). Default 9443. */
  port?: number;
  /** How long a listener replaced by a certificate reload drains. Default {@linkcode DRAIN_MS}. */
  drainMs?: number;
}

/** One `Deno.serve` listener and the certificate it serves. */
interface Listener {
  readonly server: Deno.HttpServer<Deno.NetAddr>;
  readonly pair: CertificatePair;
  /** Answers carry `connection: close` from now on. */
  draining: boolean;
  inFlight: number;
  /** Resolves the wait for `inFlight` to reach 0, when someone waits. */
  idle: (() => void) | undefined;
  /** Closes the listener once its drain is over. */
  drainTimer: number | undefined;
  /** Requests answered since the drain began. */
  answered: number;
  /** Set once closing has begun; settles when the listener and its connections are closed. */
  closing?: Promise<void>;
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
  #drainMs: number;
  #logger: Logger;
  #clock: Timers;
  #live: Listener | undefined;
  /** Every open listener: the live one and those draining. */
  #listeners = new Set<Listener>();
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
    this.#drainMs = options.drainMs ?? DRAIN_MS;
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

  /** How many listeners replaced by certificate reloads are still draining. */
  drainingListeners(): number {
    return [...this.#listeners].filter((listener) => listener !== this.#live).length;
  }

  /** The certificate served to new connections, if listening. */
  servedCertificate(): CertificatePair | undefined {
    return this.#live?.pair;
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
   * (port in use, certificate or key rejected by TLS, no `--unstable-net`).
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#started) throw new Error("Cannot start webhook server: already started");
    this.#started = true;
    let latest: CertificatePair | undefined;
    let announced: (() => void) | undefined;
    const unsubscribe = this.#certSource.subscribe((pair) => {
      latest = pair;
      if (this.#live !== undefined) this.#reload(pair);
      announced?.();
    });
    try {
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
        const live = this.#listen(first, this.#port);
        this.#port = live.server.addr.port;
        this.#live = live;
        this.#logger.info("webhook server listening", {
          address: `${this.#hostname}:${this.#port}`,
          paths: this.#router.paths(),
          fingerprint: first.fingerprint,
        });
        // A pair announced while the listener was binding; a no-op when it is `first`.
        if (latest !== undefined) this.#reload(latest);
        this.#resolveListening(live.server.addr);
      } catch (err) {
        this.#rejectListening(err);
        throw err;
      }
      await new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      await this.#stop();
      this.#logger.info("webhook server stopped");
    } finally {
      unsubscribe();
    }
  }

  /**
   * Binds a listener serving `pair`.
   *
   * @throws {Error} when the port is taken, TLS rejects the pair, or
   * `SO_REUSEPORT` is unavailable (no `--unstable-net`).
   */
  #listen(pair: CertificatePair, port: number): Listener {
    const listener: Omit<Listener, "server"> & { server?: Deno.HttpServer<Deno.NetAddr> } = {
      pair,
      draining: false,
      inFlight: 0,
      idle: undefined,
      drainTimer: undefined,
      answered: 0,
    };
    const live = listener as Listener;
    try {
      listener.server = Deno.serve({
        hostname: this.#hostname,
        port,
        cert: pair.certPem,
        key: pair.keyPem,
        // A reload binds its new listener to the port while the old one drains.
        reusePort: true,
        onListen: () => {},
        onError: (err) => {
          this.#logger.error("webhook request failed", { error: String(err) });
          return new Response("Cannot answer review: internal error\n", { status: 500 });
        },
      }, (request, info) => {
        // In flight until the answer is written out, so that closing never cuts one short.
        live.inFlight++;
        info.completed.catch(() => {}).finally(() => {
          live.inFlight--;
          if (live.inFlight === 0) live.idle?.();
        });
        return this.#serve(live, request);
      });
    } catch (err) {
      if (err instanceof Error && /unstable-net/.test(err.message)) {
        throw new Error(
          "Cannot listen: certificate reloads need SO_REUSEPORT; run with --unstable-net",
          { cause: err },
        );
      }
      throw err;
    }
    this.#listeners.add(live);
    return live;
  }

  async #serve(listener: Listener, request: Request): Promise<Response> {
    const response = await this.#router.handle(request);
    if (listener.draining || this.#stopping) {
      response.headers.set("connection", "close");
      listener.answered++;
    }
    return response;
  }

  /** Serves `pair` to new connections from now on; never throws, keeps the old pair on failure. */
  #reload(pair: CertificatePair): void {
    const old = this.#live;
    if (this.#stopping || old === undefined) return;
    if (old.pair.certPem === pair.certPem && old.pair.keyPem === pair.keyPem) return;
    let next: Listener;
    try {
      next = this.#listen(pair, this.#port);
    } catch (err) {
      this.#logger.error("Cannot reload certificate: rejected by TLS; keeping the old one", {
        error: String(err),
        fingerprint: pair.fingerprint,
      });
      return;
    }
    this.#live = next;
    this.#logger.info("serving certificate reloaded", {
      fingerprint: pair.fingerprint,
      notAfter: pair.notAfter.toISOString(),
    });
    old.draining = true;
    old.answered = 0;
    let postponed = 0;
    const endDrain = (answeredBefore: number) => {
      old.drainTimer = undefined;
      // A listener that still gets requests still gets connections: the
      // kernel hands it new ones until it closes, and one it accepts as it
      // closes would be reset. Wait until it has had a quiet period.
      if (old.answered !== answeredBefore && postponed++ < this.#drainMs / QUIET_MS) {
        const now = old.answered;
        old.drainTimer = this.#clock.setTimeout(() => endDrain(now), QUIET_MS);
        return;
      }
      void this.#close(old);
    };
    old.drainTimer = this.#clock.setTimeout(() => endDrain(0), this.#drainMs);
  }

  /**
   * Closes `listener` once nothing is in flight on it, or after
   * `handlerTimeoutMs` + {@linkcode STOP_GRACE_MS}, whichever is first.
   */
  #close(listener: Listener): Promise<void> {
    listener.closing ??= this.#closeNow(listener);
    return listener.closing;
  }

  async #closeNow(listener: Listener): Promise<void> {
    if (listener.drainTimer !== undefined) this.#clock.clearTimeout(listener.drainTimer);
    listener.drainTimer = undefined;
    listener.draining = true;
    if (listener.inFlight > 0) {
      let timer: number | undefined;
      await new Promise<void>((resolve) => {
        listener.idle = resolve;
        timer = this.#clock.setTimeout(() => {
          this.#logger.warn("webhook listener closing with requests still in flight", {
            inFlight: listener.inFlight,
          });
          resolve();
        }, this.#handlerTimeoutMs + STOP_GRACE_MS);
      });
      if (timer !== undefined) this.#clock.clearTimeout(timer);
      listener.idle = undefined;
    }
    // A graceful shutdown closes the listener, writes out what is answered
    // and closes idle connections. It does not end while a client holds a
    // connection in its TLS handshake, and `Deno.serve` has no way to close
    // such a connection, so the wait is bounded; the connection ends with the
    // client or the process. (Aborting the server instead cuts off answers
    // not yet flushed.)
    let timer: number | undefined;
    const closed = await Promise.race([
      listener.server.shutdown().then(() => true),
      new Promise<false>((resolve) =>
        timer = this.#clock.setTimeout(() => resolve(false), SHUTDOWN_MS)
      ),
    ]);
    if (timer !== undefined) this.#clock.clearTimeout(timer);
    if (!closed) {
      this.#logger.debug("webhook listener closed with connections still in the TLS handshake");
    }
    this.#listeners.delete(listener);
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all([...this.#listeners].map((listener) => this.#close(listener)));
  }
}
