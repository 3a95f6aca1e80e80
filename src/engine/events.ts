/**
 * The saga log's events. A run is exactly the fold of its events; nothing else is
 * authoritative. Every event is a plain JSON object so any store can keep it.
 */
import type { ErrorInfo } from "../errors.js";

export const RUN_STATUSES = [
  "pending",
  "running",
  "succeeded",
  "compensating",
  "compensated",
  "failed",
  "compensation_failed",
  "cancelled",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses after which nothing happens unless an operator redrives the run. */
export const FINAL_STATUSES: ReadonlySet<RunStatus> = new Set([
  "succeeded",
  "compensated",
  "failed",
  "compensation_failed",
  "cancelled",
]);

export type FinalStatus =
  | "succeeded"
  | "compensated"
  | "failed"
  | "compensation_failed"
  | "cancelled";

/**
 * The run's W3C trace context (`traceparent` and optional `tracestate` header values): every
 * step and compensation of the run, in whichever process or invocation, is traced under it.
 */
export interface RunTrace {
  readonly traceparent: string;
  readonly tracestate?: string;
}

export interface RunStarted {
  readonly type: "run_started";
  readonly at: number;
  readonly runId: string;
  readonly workflow: string;
  readonly version: string;
  readonly input: unknown;
  readonly correlationId: string;
  readonly deadlineAt: number;
  /** Absent when tracing was off when the run started. */
  readonly trace?: RunTrace;
  /** The workflow's `concurrency.key` as evaluated on the input, when it has one. */
  readonly concurrencyKey?: string;
}

/**
 * The run took one of its workflow's concurrency slots (`concurrency.max`): its steps may
 * call services from now on. Recorded once, before the first call.
 */
export interface RunAdmitted {
  readonly type: "run_admitted";
  readonly at: number;
}

export interface StepSucceeded {
  readonly type: "step_succeeded";
  readonly at: number;
  readonly stepId: string;
  readonly attempt: number;
  readonly startedAt: number;
  readonly output: unknown;
}

/** An attempt failed and another one is scheduled at `retryAt`. */
export interface StepAttemptFailed {
  readonly type: "step_attempt_failed";
  readonly at: number;
  readonly stepId: string;
  readonly attempt: number;
  readonly startedAt: number;
  readonly error: ErrorInfo;
  readonly retryAt: number;
}

/** The step failed for good: a terminal error, or its attempts are used up. */
export interface StepFailed {
  readonly type: "step_failed";
  readonly at: number;
  readonly stepId: string;
  readonly attempt: number;
  readonly startedAt?: number;
  readonly error: ErrorInfo;
}

/**
 * A call was held back before it was made (open circuit breaker, rate limit, concurrency
 * cap): the step waits until `until` and the attempt is not used up.
 */
export interface StepDeferred {
  readonly type: "step_deferred";
  readonly at: number;
  readonly stepId: string;
  readonly attempt: number;
  readonly until: number;
  readonly reason: string;
  /** The run itself waits for a concurrency slot, not only this call. */
  readonly runSlot?: boolean;
}

export interface StepSkipped {
  readonly type: "step_skipped";
  readonly at: number;
  readonly stepId: string;
  readonly reason: string;
}

/** The run failed; what completed is compensated next. */
export interface RunFailed {
  readonly type: "run_failed";
  readonly at: number;
  readonly error: ErrorInfo;
  readonly stepId?: string;
}

export interface RunCancelRequested {
  readonly type: "run_cancel_requested";
  readonly at: number;
  readonly reason?: string;
}

export interface CompensationSucceeded {
  readonly type: "compensation_succeeded";
  readonly at: number;
  readonly stepId: string;
  readonly attempt: number;
  readonly startedAt: number;
}

export interface CompensationAttemptFailed {
  readonly type: "compensation_attempt_failed";
  readonly at: number;
  readonly stepId: string;
  readonly attempt: number;
  readonly startedAt: number;
  readonly error: ErrorInfo;
  readonly retryAt: number;
}

export interface CompensationFailed {
  readonly type: "compensation_failed";
  readonly at: number;
  readonly stepId: string;
  readonly attempt: number;
  readonly startedAt: number;
  readonly error: ErrorInfo;
}

export interface RunFinished {
  readonly type: "run_finished";
  readonly at: number;
  readonly status: FinalStatus;
  readonly output?: unknown;
  readonly error?: ErrorInfo;
}

/** A named signal reached the run (an approval, a callback); a step waiting for it completes. */
export interface SignalReceived {
  readonly type: "signal_received";
  readonly at: number;
  readonly name: string;
  readonly payload: unknown;
}

/**
 * A finished run was set going again. With `mode: "resume"` an operator resumed a `failed`
 * run forward: its failed steps run again with a fresh attempt budget, completed steps keep
 * their outputs. Without `mode` the run's compensations run again: an operator redrove a
 * parked (`compensation_failed`) run, or a late success on a finished run needs undoing.
 */
export interface RunRedriven {
  readonly type: "run_redriven";
  readonly at: number;
  readonly mode?: "resume";
  /** The step the run had failed at, when a step failed it. */
  readonly fromStepId?: string;
  /** The definition version the run continues on, when the redrive moved it to a newer one. */
  readonly version?: string;
  /** A resumed run's new deadline. */
  readonly deadlineAt?: number;
  /** Who asked (the token's subject, or as the operator named themselves). */
  readonly by?: string;
  /** Why, as the operator put it. */
  readonly reason?: string;
}

export type SagaEvent =
  | RunStarted
  | RunAdmitted
  | StepSucceeded
  | StepAttemptFailed
  | StepFailed
  | StepDeferred
  | StepSkipped
  | RunFailed
  | RunCancelRequested
  | CompensationSucceeded
  | CompensationAttemptFailed
  | CompensationFailed
  | RunFinished
  | RunRedriven
  | SignalReceived;
