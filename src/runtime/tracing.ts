/**
 * The runtime's spans: one when a run starts, one per step or compensation attempt. A run
 * lives across many processes and Lambda invocations, so its trace is anchored in its log:
 * the start span's context is recorded in `run_started`, and every attempt span is a child
 * of that record wherever it runs — one trace per run. The context that was active when the
 * attempt ran (say the Lambda invocation's span, in a trace of its own) becomes a link.
 */
import {
  type Attributes,
  context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type { Command } from "../engine/commands.js";
import type { RunTrace } from "../engine/events.js";
import type { RunState } from "../engine/state.js";
import type { ErrorInfo } from "../errors.js";
import { contextFrom, failSpan, maestroTracer } from "../observability/trace-context.js";
import type { Workflow } from "../workflow/model.js";

function failOnThrow(span: Span, error: unknown): never {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
  throw error;
}

/**
 * Runs `start` inside the run's start span, a child of `parent` (an incoming `traceparent`)
 * or else of the active context. `start` receives the context to record in `run_started`.
 */
export async function inRunSpan<T>(
  workflow: Workflow,
  parent: RunTrace | undefined,
  start: (span: Span) => Promise<T>,
): Promise<T> {
  const attributes: Attributes = {
    "maestro.workflow.name": workflow.name,
    "maestro.workflow.version": workflow.version,
  };
  return maestroTracer().startActiveSpan(
    `run ${workflow.name}`,
    { kind: SpanKind.INTERNAL, attributes },
    contextFrom(parent),
    async (span) => {
      try {
        return await start(span);
      } catch (error) {
        return failOnThrow(span, error);
      } finally {
        span.end();
      }
    },
  );
}

/** What an attempt came to, for its span. */
export type AttemptEnd =
  | { readonly ok: true }
  | { readonly ok: false; readonly error: ErrorInfo }
  | { readonly deferred: string };

/**
 * Runs one attempt of a step or compensation in its span, a child of the run's recorded
 * trace. The service call made inside is a child of this span.
 */
export async function inAttemptSpan<T>(
  state: RunState,
  command: Command,
  attempt: () => Promise<T>,
  endOf: (value: T) => AttemptEnd,
): Promise<T> {
  const active = trace.getSpanContext(context.active());
  const parent = contextFrom(state.trace);
  const parentTraceId = trace.getSpanContext(parent)?.traceId;
  const links: Link[] =
    active && parentTraceId !== undefined && active.traceId !== parentTraceId
      ? [{ context: active, attributes: { "maestro.link": "invocation" } }]
      : [];
  const attributes: Attributes = {
    "maestro.run.id": state.runId,
    "maestro.workflow.name": state.workflow,
    "maestro.workflow.version": state.version,
    "maestro.step.id": command.stepId,
    "maestro.step.attempt": command.attempt,
    "maestro.step.kind": command.kind,
  };
  const name = `${command.kind === "compensate" ? "compensate" : "step"} ${command.stepId}`;
  return maestroTracer().startActiveSpan(
    name,
    { kind: SpanKind.INTERNAL, attributes, links },
    parent,
    async (span) => {
      try {
        const value = await attempt();
        const end = endOf(value);
        if ("deferred" in end) span.setAttribute("maestro.step.deferred", end.deferred);
        else if (!end.ok) failSpan(span, end.error);
        return value;
      } catch (error) {
        return failOnThrow(span, error);
      } finally {
        span.end();
      }
    },
  );
}
