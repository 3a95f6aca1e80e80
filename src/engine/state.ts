/**
 * A run's folded state: what the saga log says, in a form the engine can decide from in
 * constant time per step. Plain JSON so that stores can keep it as a snapshot.
 */
import type { ErrorInfo } from "../errors.js";
import type { RunStatus, SagaEvent } from "./events.js";

export type StepStatus = "pending" | "waiting" | "succeeded" | "failed" | "skipped";
export type CompensationStatus = "pending" | "waiting" | "succeeded" | "failed";

export interface StepState {
  readonly status: StepStatus;
  /** Attempts whose outcome is recorded. The next attempt is `attempts + 1`. */
  readonly attempts: number;
  /** When `waiting`: the next attempt is due then. */
  readonly retryAt?: number;
  readonly output?: unknown;
  readonly error?: ErrorInfo;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  /** 1 for the first step to succeed, 2 for the next, … */
  readonly completion?: number;
  readonly skipReason?: string;
  readonly compensation?: CompensationState;
}

export interface CompensationState {
  readonly status: CompensationStatus;
  readonly attempts: number;
  /** When the first attempt started. */
  readonly startedAt?: number;
  readonly retryAt?: number;
  readonly error?: ErrorInfo;
  readonly finishedAt?: number;
}

export interface RunState {
  readonly runId: string;
  readonly workflow: string;
  readonly version: string;
  readonly status: RunStatus;
  readonly input: unknown;
  readonly correlationId: string;
  readonly createdAt: number;
  readonly deadlineAt: number;
  readonly updatedAt: number;
  /** Sequence number of the last event folded in. */
  readonly seq: number;
  readonly steps: Readonly<Record<string, StepState>>;
  readonly completed: number;
  /** Why the run failed, when it did. */
  readonly failure?: { readonly error: ErrorInfo; readonly stepId?: string };
  readonly cancelRequested?: boolean;
  readonly output?: unknown;
  readonly finishedAt?: number;
}

function withStep(
  state: RunState,
  stepId: string,
  update: (step: StepState) => StepState,
): RunState {
  const step = state.steps[stepId] ?? { status: "pending", attempts: 0 };
  return { ...state, steps: { ...state.steps, [stepId]: update(step) } };
}

function withCompensation(
  state: RunState,
  stepId: string,
  update: (c: CompensationState) => CompensationState,
): RunState {
  return withStep(state, stepId, (step) => ({
    ...step,
    compensation: update(step.compensation ?? { status: "pending", attempts: 0 }),
  }));
}

/** The state after one more event. `seq` is the event's position in the log. */
export function evolve(state: RunState | undefined, event: SagaEvent, seq: number): RunState {
  if (event.type === "run_started") {
    return {
      runId: event.runId,
      workflow: event.workflow,
      version: event.version,
      status: "running",
      input: event.input,
      correlationId: event.correlationId,
      createdAt: event.at,
      deadlineAt: event.deadlineAt,
      updatedAt: event.at,
      seq,
      steps: {},
      completed: 0,
    };
  }
  if (!state) throw new Error(`event ${event.type} at seq ${seq} precedes run_started`);
  const next = apply(state, event);
  return { ...next, seq, updatedAt: event.at };
}

function apply(state: RunState, event: Exclude<SagaEvent, { type: "run_started" }>): RunState {
  switch (event.type) {
    case "step_succeeded": {
      const completion = state.completed + 1;
      const next = withStep(state, event.stepId, (s) => ({
        status: "succeeded",
        attempts: Math.max(s.attempts, event.attempt),
        output: event.output,
        startedAt: s.startedAt ?? event.startedAt,
        finishedAt: event.at,
        completion,
      }));
      return { ...next, completed: completion };
    }
    case "step_attempt_failed":
      return withStep(state, event.stepId, (s) => ({
        status: "waiting",
        attempts: event.attempt,
        retryAt: event.retryAt,
        error: event.error,
        startedAt: s.startedAt ?? event.startedAt,
      }));
    case "step_failed":
      return withStep(state, event.stepId, (s) => ({
        status: "failed",
        attempts: event.attempt,
        error: event.error,
        ...((s.startedAt ?? event.startedAt) !== undefined && {
          startedAt: s.startedAt ?? event.startedAt,
        }),
        finishedAt: event.at,
      }));
    case "step_skipped":
      return withStep(state, event.stepId, () => ({
        status: "skipped",
        attempts: 0,
        skipReason: event.reason,
        finishedAt: event.at,
      }));
    case "run_failed":
      return {
        ...state,
        status: "compensating",
        failure: {
          error: event.error,
          ...(event.stepId !== undefined && { stepId: event.stepId }),
        },
      };
    case "run_cancel_requested":
      return { ...state, status: "compensating", cancelRequested: true };
    case "compensation_succeeded":
      return withCompensation(state, event.stepId, (c) => ({
        status: "succeeded",
        attempts: event.attempt,
        startedAt: c.startedAt ?? event.startedAt,
        finishedAt: event.at,
      }));
    case "compensation_attempt_failed":
      return withCompensation(state, event.stepId, (c) => ({
        status: "waiting",
        attempts: event.attempt,
        startedAt: c.startedAt ?? event.startedAt,
        retryAt: event.retryAt,
        error: event.error,
      }));
    case "compensation_failed":
      return withCompensation(state, event.stepId, (c) => ({
        status: "failed",
        attempts: event.attempt,
        startedAt: c.startedAt ?? event.startedAt,
        error: event.error,
        finishedAt: event.at,
      }));
    case "run_finished":
      return {
        ...state,
        status: event.status,
        finishedAt: event.at,
        ...(event.output !== undefined && { output: event.output }),
      };
    case "run_redriven": {
      const steps: Record<string, StepState> = {};
      for (const [id, step] of Object.entries(state.steps)) {
        const c = step.compensation;
        steps[id] =
          c?.status === "failed"
            ? { ...step, compensation: { status: "pending", attempts: 0 } }
            : step;
      }
      const { finishedAt: _finished, ...rest } = state;
      return { ...rest, steps, status: "compensating" };
    }
  }
}

/** Folds events onto a snapshot (or from nothing). */
export function fold(
  snapshot: RunState | undefined,
  events: readonly (SagaEvent & { readonly seq: number })[],
): RunState | undefined {
  let state = snapshot;
  for (const event of events) state = evolve(state, event, event.seq);
  return state;
}
