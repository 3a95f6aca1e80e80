import type { CallRequest } from "../ports/service-caller.js";

/**
 * The headers (HTTP) or metadata (gRPC) every call carries, set last so a workflow's own
 * headers cannot replace them. Returns a problem when a value is not a valid header.
 */
export function setCallHeaders(headers: Headers, request: CallRequest): string | undefined {
  try {
    headers.set("idempotency-key", request.idempotencyKey);
    headers.set("x-maestro-attempt", String(request.attempt));
    headers.set("x-correlation-id", request.correlationId);
    if (request.traceparent !== undefined) headers.set("traceparent", request.traceparent);
  } catch {
    return "the idempotency key, correlation id or traceparent is not a valid header";
  }
  return undefined;
}
