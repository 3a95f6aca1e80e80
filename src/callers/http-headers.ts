/**
 * The request headers of one HTTP call. Header values may hold secrets (tokens, API keys), so
 * no message built here ever quotes one.
 */
import type { CallRequest } from "../ports/service-caller.js";
import { setCallHeaders } from "./call-headers.js";
import type { TargetProblem } from "./http-target.js";

/**
 * Headers the HTTP client manages itself. `fetch` fails some of them as a network error
 * (which would read as retryable) and silently drops others, so they are refused up front.
 */
const TRANSPORT_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "content-length",
  "expect",
  "host",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Builds the headers: defaults first, then the request's own (which may replace `accept`,
 * `content-type` and `user-agent`), then Maestro's, which nothing replaces: the service relies on
 * them for deduplication and tracing.
 */
export function buildHeaders(
  request: CallRequest,
  options: { userAgent: string; hasBody: boolean },
): Headers | TargetProblem {
  const headers = new Headers();
  headers.set("accept", "application/json");
  headers.set("user-agent", options.userAgent);
  if (options.hasBody) headers.set("content-type", "application/json");

  for (const [name, value] of Object.entries(request.headers)) {
    if (TRANSPORT_HEADERS.has(name.toLowerCase())) {
      return { problem: `header "${name}" is managed by the HTTP client and cannot be set` };
    }
    try {
      headers.set(name, value);
    } catch {
      // The Headers error quotes the value; name the header only.
      return { problem: `header "${name}" has an invalid name or value` };
    }
  }

  const problem = setCallHeaders(headers, request);
  return problem === undefined ? headers : { problem };
}
