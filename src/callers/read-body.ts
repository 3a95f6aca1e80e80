/** Reads a response body without ever holding more than a set number of bytes. */

export interface BodyRead {
  /** The body, or its first `limit` bytes when it is longer. */
  readonly bytes: Uint8Array;
  /** False when the body was longer than the limit and reading stopped. */
  readonly complete: boolean;
}

/**
 * Streams `response`'s body up to `limit` bytes (after decompression, so a small compressed body
 * cannot expand past the limit). A longer body is cancelled rather than drained; that costs the
 * connection, which is cheaper than downloading the rest. Rejects if the stream fails or is
 * aborted.
 */
export async function readBody(response: Response, limit: number): Promise<BodyRead> {
  const body = response.body;
  if (body === null) return { bytes: new Uint8Array(0), complete: true };

  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    // Not worth reading any of it: the length alone decides.
    void body.cancel().catch(() => {});
    return { bytes: new Uint8Array(0), complete: false };
  }

  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes: Buffer.concat(chunks, size), complete: true };
      if (size + value.byteLength > limit) {
        chunks.push(value.subarray(0, limit - size));
        // Not awaited: cancelling an undici body can wait on the socket, and the answer is known.
        void reader.cancel().catch(() => {});
        return { bytes: Buffer.concat(chunks, limit), complete: false };
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.releaseLock();
  }
}
