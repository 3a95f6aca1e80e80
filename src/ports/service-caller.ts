import type { RunTrace } from "../engine/events.js";
import type { ErrorInfo } from "../errors.js";
import type { ServiceDefinition } from "../workflow/model.js";

export interface CallRequest {
  readonly service: ServiceDefinition;
  /** Resolved method: `CreateUser`, `pkg.Service/Method`, or `POST /contacts/abc` (path already encoded). */
  readonly method: string;
  /** The request body / message as JSON. */
  readonly input: unknown;
  /** Resolved extra headers / metadata for this call. */
  readonly headers: Readonly<Record<string, string>>;
  /** Resolved query parameters (HTTP only). */
  readonly query?: Readonly<Record<string, string>>;
  /** Stable across attempts: `<runId>/<stepId>` or `<runId>/<stepId>/compensate`. */
  readonly idempotencyKey: string;
  readonly attempt: number;
  readonly correlationId: string;
  /**
   * The run's recorded trace context: sent as `traceparent` when no tracing SDK propagates
   * the call's own span, so a caller's trace still reaches the services.
   */
  readonly trace?: RunTrace;
  /**
   * Values that must not appear in telemetry (the call's resolved secrets and the run's
   * `sensitive` values): a span attribute that contains one is redacted.
   */
  readonly sensitive?: readonly string[];
  /** The call must end within this many milliseconds. */
  readonly timeoutMs: number;
  /** Aborted when the worker gives up on the call (shutdown, run cancelled). */
  readonly signal?: AbortSignal;
}

export type CallResult =
  | { readonly ok: true; readonly output: unknown }
  | { readonly ok: false; readonly error: ErrorInfo };

/** Calls one service method. Service failures come back as results, classified; it never throws for them. */
export interface ServiceCaller {
  call(request: CallRequest): Promise<CallResult>;
}
