/**
 * One small `Deno.serve` HTTP server for `/healthz`, `/readyz` and
 * `/metrics`, run by the manager in its first group on every replica.
 *
 * @module
 */
import type { Registry } from "prom-client";
import { HealthChecks } from "./health.ts";
import type { Runnable } from "./runnable.ts";

/** Options of {@link ProbeServer}. */
export interface ProbeServerOptions {
  /** Default 8081; 0 picks a free port (read it from {@link ProbeServer.port}). */
  readonly port?: number;
  /** Default `0.0.0.0`. */
  readonly hostname?: string;
  readonly healthz: HealthChecks;
  readonly readyz: HealthChecks;
  readonly registry: Registry;
}

/** Serves probes and metrics until its signal aborts. */
export class ProbeServer implements Runnable {
  readonly #o: ProbeServerOptions;
  #port: number | undefined;
  #listening: PromiseWithResolvers<void> = Promise.withResolvers<void>();

  constructor(options: ProbeServerOptions) {
    this.#o = options;
  }

  /** The bound port, once listening. */
  get port(): number | undefined {
    return this.#port;
  }

  /** Resolves once the server listens. */
  ready(): Promise<void> {
    return this.#listening.promise;
  }

  /** Serves until `signal` aborts; resolves once the server has closed. */
  async start(signal: AbortSignal): Promise<void> {
    const server = Deno.serve({
      port: this.#o.port ?? 8081,
      hostname: this.#o.hostname ?? "0.0.0.0",
      signal,
      onListen: ({ port }) => {
        this.#port = port;
        this.#listening.resolve();
      },
    }, (request) => this.#handle(request));
    await server.finished;
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname.replace(/\/+$/, "");
    if (path === "/metrics") {
      const body = await this.#o.registry.metrics();
      return new Response(body, { headers: { "content-type": this.#o.registry.contentType } });
    }
    const checks = path === "/healthz"
      ? this.#o.healthz
      : path === "/readyz"
      ? this.#o.readyz
      : undefined;
    if (checks === undefined) return new Response("not found\n", { status: 404 });
    const { ok, results } = await checks.run();
    const body = url.searchParams.has("verbose") || !ok ? HealthChecks.format(results, ok) : "ok";
    return new Response(body, {
      status: ok ? 200 : 500,
      headers: { "content-type": "text/plain" },
    });
  }
}
