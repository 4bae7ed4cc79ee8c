/**
 * Start-up's wait for the API server, as a manager runnable in the first
 * group: `GET /version` is retried with backoff until it answers or
 * `timeoutMs` passes, so a control-plane blip (an apiserver restart, a
 * rolling control-plane upgrade) delays start-up instead of crash-looping
 * the pod. Probes already answer meanwhile: `/healthz` passes (the process is
 * alive and retrying, the kubelet must not kill it), `/readyz` fails naming
 * `api-server` and the last error.
 *
 * ## Errors
 * A network error, 429 or 5xx is retried; any other answer (401, 403 …)
 * fails at once, as it will not change by itself; after `timeoutMs`
 * {@link ApiServerUnreachableError} — the process exits 1 and the kubelet's
 * restart backoff takes over.
 *
 * @module
 */
import { isRetryable } from "../kube/mod.ts";
import { Backoff, type Clock, realClock, type Runnable } from "../runtime/mod.ts";
import type { Logger } from "../observability/log.ts";

/** What the gate needs of a client. */
export interface VersionClient {
  request<T>(
    method: string,
    path: string,
    options?: { readonly timeoutMs?: number; readonly signal?: AbortSignal },
  ): Promise<T>;
}

/** The API server did not answer within the start-up deadline. */
export class ApiServerUnreachableError extends Error {
  override name = "ApiServerUnreachableError";
}

/** Options of {@link ApiServerGate}. */
export interface ApiServerGateOptions {
  /** The server's URL, for messages. */
  readonly server: string;
  /** Give up after this long; `vigil run --startup-timeout` (2 min). */
  readonly timeoutMs: number;
  /** Per attempt; default 10 000 ms. */
  readonly attemptTimeoutMs?: number;
  /** Delays between attempts; default 500 ms doubling to 10 s, up to +50 % jitter. */
  readonly backoff?: Backoff;
  readonly clock?: Clock;
  readonly log: Logger;
  /** Called once with the server's `gitVersion`. */
  readonly onConnected?: (gitVersion: string) => void;
}

/** Resolves `ready()` once the API server answered; see the module doc. */
export class ApiServerGate implements Runnable {
  readonly #client: VersionClient;
  readonly #o: ApiServerGateOptions;
  readonly #clock: Clock;
  readonly #reached = Promise.withResolvers<void>();
  #lastError: unknown;
  #connected = false;

  constructor(client: VersionClient, options: ApiServerGateOptions) {
    this.#client = client;
    this.#o = options;
    this.#clock = options.clock ?? realClock;
  }

  /** For `/readyz`: throws until the API server answered. */
  check = (): void => {
    if (this.#connected) return;
    throw new Error(
      `API server ${this.#o.server} not reached yet` +
        (this.#lastError === undefined ? "" : `: ${(this.#lastError as Error).message}`),
    );
  };

  /** Resolves once the API server answered (or `signal` aborts). */
  ready(signal: AbortSignal): Promise<void> {
    return Promise.race([
      this.#reached.promise,
      new Promise<void>((resolve) =>
        signal.addEventListener("abort", () => resolve(), { once: true })
      ),
    ]);
  }

  /**
   * Retries until the API server answers, then waits for `signal`.
   *
   * @throws {ApiServerUnreachableError} after `timeoutMs`, or at once on an
   * answer that retrying cannot change.
   */
  async start(signal: AbortSignal): Promise<void> {
    const backoff = this.#o.backoff ??
      new Backoff({ initialMs: 500, maxMs: 10_000, jitter: 0.5, clock: this.#clock });
    const deadline = this.#clock.now() + this.#o.timeoutMs;
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        const version = await this.#client.request<{ gitVersion?: string }>("GET", "/version", {
          timeoutMs: this.#o.attemptTimeoutMs ?? 10_000,
          signal,
        });
        this.#connected = true;
        this.#o.onConnected?.(version.gitVersion ?? "unknown");
        this.#reached.resolve();
        break;
      } catch (err) {
        if (signal.aborted) return;
        this.#lastError = err;
        if (!isRetryable(err)) {
          throw new ApiServerUnreachableError(
            `Cannot start: the API server ${this.#o.server} answered ${(err as Error).message}`,
            { cause: err },
          );
        }
        const leftMs = deadline - this.#clock.now();
        if (leftMs <= 0) {
          throw new ApiServerUnreachableError(
            `Cannot reach the API server ${this.#o.server} within --startup-timeout ` +
              `(${attempt} attempts): ${(err as Error).message}`,
            { cause: err },
          );
        }
        const delayMs = Math.min(backoff.next(), leftMs);
        this.#o.log.warn("API server not reachable yet; retrying", {
          server: this.#o.server,
          attempt,
          delayMs: Math.round(delayMs),
          err,
        });
        try {
          await this.#clock.sleep(delayMs, signal);
        } catch {
          return; // aborted
        }
      }
    }
    if (signal.aborted) return;
    await new Promise<void>((resolve) =>
      signal.addEventListener("abort", () => resolve(), { once: true })
    );
  }
}
