/**
 * One webhook server process for `webhook_throughput_bench.ts`, so that the
 * bench can pin it to one core and read its CPU time and RSS from `/proc`.
 * A leading underscore keeps `tests/bench/run.ts` from running it alone.
 *
 * Usage: `deno run -A tests/bench/_webhook_server.ts <kind> <certDir>`, where
 * kind is one of
 * - `vigil`: Vigil's {@linkcode WebhookServer} with the Database validating
 *   handler, on whatever transport it uses;
 * - `vigil-node`: the same router and handler behind a plain `node:https`
 *   listener that buffers the body and bridges per request;
 * - `floor-deno`, `floor-node`: a bare TLS server on that stack that reads
 *   the body and answers one fixed AdmissionReview response (the transport floor).
 *
 * Prints the port on stdout, then serves until SIGTERM. Usage with a third
 * argument `heap` adds one line of `Deno.memoryUsage()` JSON on stderr a second.
 *
 * @module
 */
import { createServer } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  storageClassLookup,
  type StorageClassObject,
  validateDatabaseHandler,
} from "../../src/database/mod.ts";
import { CertWatcher, WebhookRouter, WebhookServer } from "../../src/webhook/mod.ts";

const [kind, certDir] = Deno.args;
if (kind === undefined || certDir === undefined) {
  throw new Error("usage: _webhook_server.ts <vigil|vigil-node|floor-deno|floor-node> <certDir>");
}
const VALIDATE_PATH = "/validate-vigil-dev-v1-database";
const classes: StorageClassObject[] = [{
  metadata: {
    name: "standard",
    annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
  },
  allowVolumeExpansion: true,
}];
const handler = validateDatabaseHandler(storageClassLookup(() => classes));
const FIXED = new TextEncoder().encode(JSON.stringify({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  response: { uid: "705ab4f5-6393-11e8-b7cc-42010a800002", allowed: true, status: { code: 200 } },
}));
const certPem = await Deno.readTextFile(`${certDir}/tls.crt`);
const keyPem = await Deno.readTextFile(`${certDir}/tls.key`);
const stop = new AbortController();
Deno.addSignalListener("SIGTERM", () => stop.abort());
const announce = (port: number) => console.log(String(port));
// `heap` as a third argument: one line of `Deno.memoryUsage()` JSON on stderr every second.
if (Deno.args[2] === "heap") {
  const timer = setInterval(() => console.error(JSON.stringify(Deno.memoryUsage())), 1_000);
  stop.signal.addEventListener("abort", () => clearInterval(timer));
}

switch (kind) {
  case "vigil": {
    const watcher = new CertWatcher(certDir, { watch: false, pollIntervalMs: 3_600_000 });
    await watcher.load();
    const server = new WebhookServer({ certSource: watcher, hostname: "127.0.0.1", port: 0 })
      .registerAdmission(VALIDATE_PATH, handler);
    const running = server.start(stop.signal);
    announce((await server.listening).port);
    await running;
    break;
  }
  case "floor-deno": {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      cert: certPem,
      key: keyPem,
      signal: stop.signal,
      onListen: ({ port }) => announce(port),
    }, async (req) => {
      await req.arrayBuffer();
      return new Response(FIXED, { headers: { "content-type": "application/json" } });
    });
    await server.finished;
    break;
  }
  case "floor-node":
  case "vigil-node": {
    const router = new WebhookRouter().registerAdmission(VALIDATE_PATH, handler);
    const server = createServer(
      { cert: certPem, key: keyPem, minVersion: "TLSv1.2", ALPNProtocols: ["http/1.1"] },
      kind === "floor-node" ? floorNode : (req, res) => void viaRouter(router, req, res),
    );
    server.keepAliveTimeout = 120_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const addr = server.address();
    if (addr === null || typeof addr === "string") throw new Error("no address");
    announce(addr.port);
    await new Promise<void>((resolve) => stop.signal.addEventListener("abort", () => resolve()));
    server.closeAllConnections();
    server.close();
    break;
  }
  default:
    throw new Error(`unknown server kind "${kind}"`);
}

function floorNode(req: IncomingMessage, res: ServerResponse): void {
  req.on("data", () => {});
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": FIXED.length });
    res.end(FIXED);
  });
}

/** What Vigil's `node:https` server did per request: a web Request in, a web Response out. */
async function viaRouter(
  router: WebhookRouter,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  for await (const chunk of req) chunks.push(chunk as Uint8Array<ArrayBuffer>);
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  const response = await router.handle(
    new Request(`https://webhook.invalid${req.url}`, {
      method: req.method ?? "POST",
      headers,
      body: chunks.length === 1 ? chunks[0]! : new Blob(chunks),
    }),
  );
  const body = new Uint8Array(await response.arrayBuffer());
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => out[name] = value);
  out["content-length"] = String(body.byteLength);
  res.writeHead(response.status, out);
  res.end(body);
}
