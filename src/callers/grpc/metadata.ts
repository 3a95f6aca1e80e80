/**
 * The request metadata (HTTP/2 headers) of one gRPC / Connect / gRPC-web call. Values may
 * hold secrets, so no message built here quotes one.
 */
import type { CallRequest } from "../../ports/service-caller.js";
import { setCallHeaders } from "../call-headers.js";

/** Headers the protocols and HTTP/2 manage themselves; a step setting one would break the call. */
const RESERVED: ReadonlySet<string> = new Set([
  "connection",
  "content-length",
  "content-type",
  "host",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "x-grpc-web",
]);

function isReserved(name: string): boolean {
  return (
    RESERVED.has(name) ||
    name.startsWith(":") ||
    name.startsWith("grpc-") ||
    name.startsWith("connect-")
  );
}

/**
 * The step's own headers, then Maestro's, which nothing replaces: services rely on them for
 * deduplication and tracing. `-bin` headers must already be base64, as gRPC requires.
 */
export function buildMetadata(request: CallRequest): Headers | { problem: string } {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (isReserved(name.toLowerCase())) {
      return { problem: `metadata "${name}" is managed by the protocol and cannot be set` };
    }
    try {
      headers.set(name, value);
    } catch {
      return { problem: `metadata "${name}" has an invalid name or value` };
    }
  }
  const problem = setCallHeaders(headers, request);
  return problem === undefined ? headers : { problem };
}
