/**
 * Reads a request body up to a byte limit without buffering past it.
 *
 * @module
 */

/** The body was longer than the limit; reading stopped at the limit. */
export const TOO_LARGE: unique symbol = Symbol("TOO_LARGE");

/**
 * Reads `body` whole, or stops and cancels it once more than `maxBytes` arrived.
 *
 * @returns the bytes, or {@linkcode TOO_LARGE}.
 * @throws whatever the stream throws (a client that went away).
 */
export async function readBodyLimited(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Uint8Array | typeof TOO_LARGE> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel("body too large").catch(() => {});
        return TOO_LARGE;
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return joinChunks(chunks, total);
}

/** The chunks as one array of `total` bytes (the chunk itself when there is one). */
export function joinChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
