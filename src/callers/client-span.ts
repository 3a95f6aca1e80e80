/**
 * The client span around one service call, and the W3C trace context every call carries.
 * The span is active while the request is built, so the `traceparent` the service receives
 * names it as the parent. Where one of the call's secrets appears in an attribute value or
 * the error status, it is replaced by `[redacted]`: a service that echoes a key in its
 * error must not leak it into a trace. (The query, which may carry secrets, is never
 * recorded.)
 */
import {
  type AttributeValue,
  context,
  propagation,
  type Span,
  SpanKind,
  type TextMapSetter,
} from "@opentelemetry/api";
import type { RunTrace } from "../engine/events.js";
import { failSpan, maestroTracer } from "../observability/trace-context.js";
import type { CallRequest, CallResult } from "../ports/service-caller.js";
import { REDACTED } from "../runtime/redact.js";

/** The span of one call, with attributes set through {@link ClientSpan.set} (redacted). */
export interface ClientSpan {
  /** Sets attributes (semantic-convention names), redacting values that hold a secret. */
  set(attributes: Readonly<Record<string, AttributeValue | undefined>>): void;
  updateName(name: string): void;
}

const setter: TextMapSetter<Map<string, string>> = {
  set: (carrier, key, value) => carrier.set(key.toLowerCase(), value),
};

/**
 * Sets `traceparent` / `tracestate` (whatever the registered propagator writes) for the active
 * span, or with no SDK registered `fallback` (the run's recorded context). What it writes
 * replaces a workflow's own header of the same name, and a stale
 * `tracestate` beside a new `traceparent` goes too; with tracing off nothing is touched.
 */
export function injectTraceContext(headers: Headers, fallback?: RunTrace): void {
  const injected = new Map<string, string>();
  propagation.inject(context.active(), injected, setter);
  if (injected.size === 0) {
    // No SDK, so no propagator: a run started under a caller's trace still passes it on,
    // so the services' spans join the caller's trace (Maestro makes no spans of its own).
    if (fallback === undefined) return;
    injected.set("traceparent", fallback.traceparent);
    if (fallback.tracestate !== undefined) injected.set("tracestate", fallback.tracestate);
  }
  if (injected.has("traceparent")) headers.delete("tracestate");
  for (const [key, value] of injected) headers.set(key, value);
}

/**
 * Runs `call` in a client span named `name` until it is renamed (once the method is known).
 * A failed result sets the span's error status; the result is returned unchanged.
 */
export function inClientSpan(
  request: CallRequest,
  name: string,
  call: (span: ClientSpan) => Promise<CallResult>,
): Promise<CallResult> {
  const sensitive = (request.sensitive ?? []).filter((v) => v !== "");
  const clean = (value: AttributeValue): AttributeValue =>
    typeof value === "string"
      ? sensitive.reduce((text, secret) => text.split(secret).join(REDACTED), value)
      : value;
  return maestroTracer().startActiveSpan(
    name,
    {
      kind: SpanKind.CLIENT,
      attributes: { "maestro.service.name": request.service.name },
    },
    async (span: Span) => {
      const handle: ClientSpan = {
        set(attributes) {
          for (const [key, value] of Object.entries(attributes)) {
            if (value !== undefined) span.setAttribute(key, clean(value));
          }
        },
        updateName: (next) => span.updateName(String(clean(next))),
      };
      try {
        const result = await call(handle);
        if (!result.ok)
          failSpan(span, { ...result.error, message: String(clean(result.error.message)) });
        return result;
      } finally {
        span.end();
      }
    },
  );
}

/** `server.address` and `server.port` of a URL (the port only when it is explicit). */
export function serverAttributes(url: URL): Record<string, AttributeValue | undefined> {
  return {
    "server.address": url.hostname.replace(/^\[|\]$/g, ""),
    "server.port": url.port === "" ? undefined : Number(url.port),
  };
}
