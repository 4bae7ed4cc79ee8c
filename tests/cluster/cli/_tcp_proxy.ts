/**
 * A TCP forwarder on a loopback port, for tests that need an API server
 * that is unreachable for a while: nothing listens until `open()`, and
 * `close()` ends every connection. TLS passes through untouched (the plane's
 * apiserver certificate names 127.0.0.1).
 *
 * @module
 */

/** A forwarder from `127.0.0.1:port` to `target`. */
export class TcpProxy {
  readonly port: number;
  readonly #target: Deno.ConnectOptions;
  #listener: Deno.Listener | undefined;
  #accepting: Promise<void> | undefined;
  readonly #pipes = new Set<Promise<void>>();
  readonly #conns = new Set<Deno.Conn>();

  constructor(port: number, target: Deno.ConnectOptions) {
    this.port = port;
    this.#target = target;
  }

  /** Starts listening and forwarding. */
  open(): void {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: this.port });
    this.#accepting = this.#accept(this.#listener);
  }

  async #accept(listener: Deno.Listener): Promise<void> {
    try {
      for await (const inbound of listener) {
        const pipe = this.#forward(inbound);
        this.#pipes.add(pipe);
        pipe.finally(() => this.#pipes.delete(pipe));
      }
    } catch {
      // closed
    }
  }

  async #forward(inbound: Deno.Conn): Promise<void> {
    this.#conns.add(inbound);
    let outbound: Deno.Conn;
    try {
      outbound = await Deno.connect(this.#target);
    } catch {
      this.#end(inbound);
      return;
    }
    this.#conns.add(outbound);
    const copy = async (from: Deno.Conn, to: Deno.Conn) => {
      try {
        await from.readable.pipeTo(to.writable, { preventClose: true });
      } catch {
        // either side went away
      }
      this.#end(from);
      this.#end(to);
    };
    await Promise.all([copy(inbound, outbound), copy(outbound, inbound)]);
  }

  #end(conn: Deno.Conn): void {
    if (!this.#conns.delete(conn)) return;
    try {
      conn.close();
    } catch {
      // already closed
    }
  }

  /** Stops listening and ends every forwarded connection. */
  async close(): Promise<void> {
    this.#listener?.close();
    await this.#accepting;
    for (const conn of [...this.#conns]) this.#end(conn);
    await Promise.all([...this.#pipes]);
  }
}
