/**
 * Bridges `node:http` requests to the web `Request`/`Response` that
 * {@linkcode WebhookRouter} speaks.
 *
 * The body is exposed as a pull-based stream: nothing is read from the
 * socket until the router reads, so its byte limit still stops reading at
 * the limit, and whatever the router leaves unread is discarded after the
 * response so that the keep-alive connection can carry the next request.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** Request URLs only need a path; the origin is a placeholder that never resolves. */
const ORIGIN = "https://webhook.invalid";

/**
 * Builds a web `Request` from a node request.
 *
 * @throws {TypeError} when the method or URL cannot form a `Request`
 * (`CONNECT`, `TRACE`, a malformed request target).
 */
export function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    headers.append(raw[i] as string, raw[i + 1] as string);
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(`${ORIGIN}${req.url ?? "/"}`, {
    method,
    headers,
    body: hasBody ? bodyStream(req) : null,
  });
}

/**
 * Sends `response` on `res` with a `content-length`, and `connection: close`
 * when `close` is set; then drops whatever of the request body is unread.
 *
 * Resolves once the response has been handed to the socket or the
 * connection is gone; never rejects.
 */
export async function writeResponse(
  req: IncomingMessage,
  res: ServerResponse,
  response: Response,
  close: boolean,
): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => headers[name] = value);
  headers["content-length"] = String(body.byteLength);
  if (close) headers["connection"] = "close";
  if (res.destroyed) return discard(req);
  await new Promise<void>((resolve) => {
    res.once("finish", resolve);
    res.once("close", resolve);
    res.writeHead(response.status, headers);
    res.end(body);
  });
  discard(req);
}

/** Reads and drops the rest of a request body (a no-op once it has ended). */
function discard(req: IncomingMessage): void {
  if (req.readableEnded) return;
  req.removeAllListeners("data");
  req.resume();
}

function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let attached = false;
  let settled = false;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!attached) {
        attached = true;
        req.on("data", (chunk: Uint8Array) => {
          if (settled) return;
          controller.enqueue(chunk);
          req.pause();
        });
        req.once("end", () => {
          if (settled) return;
          settled = true;
          controller.close();
        });
        const fail = () => {
          if (settled) return;
          settled = true;
          controller.error(new Error("Cannot read request body: client went away"));
        };
        req.once("aborted", fail);
        req.once("error", fail);
        req.once("close", () => {
          if (!req.complete) fail();
        });
      }
      req.resume();
    },
    cancel() {
      settled = true;
      discard(req);
    },
  }, { highWaterMark: 0 });
}
