import type { CallRequest } from "../ports/service-caller.js";
import { injectTraceContext } from "./client-span.js";

/**
 * The headers (HTTP) or metadata (gRPC) every call carries, set last so a workflow's own
 * headers cannot replace them: the idempotency key, the attempt, the correlation id and the
 * W3C trace context of the active (client) span. Returns a problem when a value is not a
 * valid header.
 */
export function setCallHeaders(headers: Headers, request: CallRequest): string | undefined {
  try {
    headers.set("idempotency-key", request.idempotencyKey);
    headers.set("x-maestro-attempt", String(request.attempt));
    headers.set("x-correlation-id", request.correlationId);
  } catch {
    return "the idempotency key or correlation id is not a valid header";
  }
  injectTraceContext(headers, request.trace);
  return undefined;
}
