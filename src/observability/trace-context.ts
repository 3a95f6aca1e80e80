/**
 * A run's trace context as it is kept in its saga log: the W3C `traceparent` / `tracestate`
 * header values of the span that started it. A run outlives the process (and the Lambda
 * invocation) that started it, so each worker that later runs one of its steps rebuilds the
 * parent from this record instead of from whatever happens to be active.
 *
 * Only `@opentelemetry/api` is used: with no tracer provider registered every span is a
 * no-op and nothing here costs more than a few string operations.
 */
import {
  type Context,
  context,
  createTraceState,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type { RunTrace } from "../engine/events.js";
import type { ErrorInfo } from "../errors.js";

/** The instrumentation scope of every Maestro span. */
export const TRACER_NAME = "maestro";

/** Maestro's tracer: resolved through the global provider, so one registered later is used. */
export function maestroTracer() {
  return trace.getTracer(TRACER_NAME);
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Parses a W3C `traceparent` header value; undefined when it is not one (the spec says to
 * ignore an invalid header rather than fail the request).
 */
export function parseTraceparent(
  traceparent: string,
  tracestate?: string,
): SpanContext | undefined {
  const match = TRACEPARENT.exec(traceparent.trim());
  if (!match) return undefined;
  const [, version, traceId = "", spanId = "", flags = "00", rest] = match;
  // Version ff is forbidden; version 00 has exactly four fields.
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  const spanContext: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & 0x01,
    isRemote: true,
    ...(tracestate !== undefined &&
      tracestate.trim() !== "" && { traceState: createTraceState(tracestate) }),
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** The trace id of a run's recorded trace, for its log lines; undefined when it has none. */
export function traceIdOf(runTrace: RunTrace | undefined): string | undefined {
  return runTrace && parseTraceparent(runTrace.traceparent)?.traceId;
}

/** The record of a span's context, or undefined for an invalid one (tracing off). */
export function runTraceOf(spanContext: SpanContext): RunTrace | undefined {
  if (!isSpanContextValid(spanContext)) return undefined;
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, "0");
  const tracestate = spanContext.traceState?.serialize();
  return {
    traceparent: `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`,
    ...(tracestate !== undefined && tracestate !== "" && { tracestate }),
  };
}

/**
 * The context to start a span in: `parent` (a run's record, an incoming header) when it holds
 * a valid trace context, else `fallback` (by default the active one).
 */
export function contextFrom(
  parent: RunTrace | undefined,
  fallback: Context = context.active(),
): Context {
  const spanContext = parent && parseTraceparent(parent.traceparent, parent.tracestate);
  return spanContext ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : fallback;
}

/** Marks a span failed with a Maestro error: its code and message, never its details. */
export function failSpan(span: Span, error: ErrorInfo): void {
  span.setAttribute("error.type", error.code);
  span.setAttribute("maestro.error.retryable", error.retryable);
  span.setStatus({ code: SpanStatusCode.ERROR, message: `${error.code}: ${error.message}` });
}
