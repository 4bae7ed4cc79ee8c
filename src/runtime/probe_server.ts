/**
 * One small `Deno.serve` HTTP server for `/healthz`, `/readyz` and
 * `/metrics`, run by the manager in its first group on every replica.
 *
 * @module
 */
import type { Registry } from "../observability/prom.ts";
import { HealthChecks } from "./health.ts";
import type { Runnable } from "./runnable.ts";

/** Options of {@link ProbeServer}. */
export interface ProbeServerOptions {
  /** Default 8081; 0 picks a free port (read it from {@link ProbeServer.port}). */
  readonly port?: number;
  /**
   * Default `::`: every interface, IPv6 and IPv4 (v4-mapped), like Go's
   * `:8081`; on a kernel without IPv6, `::` falls back to `0.0.0.0`.
   */
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
    const hostname = this.#o.hostname ?? "::";
    const serve = (on: string) =>
      Deno.serve({
        port: this.#o.port ?? 8081,
        hostname: on,
        signal,
        onListen: ({ port }) => {
          this.#port = port;
          this.#listening.resolve();
        },
      }, (request) => this.#handle(request));
    let server: Deno.HttpServer;
    try {
      server = serve(hostname);
    } catch (err) {
      if (hostname !== "::" || !noIPv6(err)) throw err;
      server = serve("0.0.0.0");
    }
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

/** Whether listening on `::` failed because the kernel has no IPv6 (not a taken port or a permission). */
function noIPv6(err: unknown): boolean {
  return !(err instanceof Deno.errors.AddrInUse || err instanceof Deno.errors.PermissionDenied ||
    err instanceof Deno.errors.NotCapable);
}
