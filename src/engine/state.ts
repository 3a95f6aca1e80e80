/**
 * A run's folded state: what the saga log says, in a form the engine can decide from in
 * constant time per step. Plain JSON so that stores can keep it as a snapshot.
 */
import type { ErrorInfo } from "../errors.js";
import type { RunStatus, RunTrace, SagaEvent } from "./events.js";

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
  /** Why the step last waited without using an attempt (e.g. `circuit open`). */
  readonly deferredReason?: string;
  /**
   * Attempts made before the run was last resumed: the retry budget counts from here, while
   * attempt numbers go on (so a service can tell a redriven attempt from the first ones).
   */
  readonly attemptBase?: number;
  /** When a resume made the step runnable again: its waits (sleep, signal timeout) start then. */
  readonly redrivenAt?: number;
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
  /** The trace the run's steps are traced under, when tracing was on at its start. */
  readonly trace?: RunTrace;
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
  /** Signals received, by name (the latest payload), for steps that wait for them. */
  readonly signals?: Readonly<Record<string, unknown>>;
  readonly output?: unknown;
  readonly finishedAt?: number;
  /** The run's `concurrency.key` value, when its workflow limits runs per key. */
  readonly concurrencyKey?: string;
  /**
   * Where the run stands with its workflow's concurrency limit: `waiting` for a slot (its
   * first step held back), or `admitted` (it holds one until it ends). Absent: not asked yet.
   */
  readonly admission?: "waiting" | "admitted";
}

/**
 * A state being changed by one decision. Applying events mutates the draft, so a decision
 * that appends several events copies the run's step table once, not once per event: with
 * long runs that copy is what would make step 1,000 cost more than step 10. Step objects
 * themselves are never mutated (older states share them); they are replaced.
 */
export type Draft = { -readonly [K in keyof RunState]: RunState[K] } & {
  steps: Record<string, StepState>;
};

export function draftOf(state: RunState): Draft {
  return { ...state, steps: { ...state.steps } };
}

function setStep(draft: Draft, stepId: string, update: (step: StepState) => StepState): void {
  draft.steps[stepId] = update(draft.steps[stepId] ?? { status: "pending", attempts: 0 });
}

function setCompensation(
  draft: Draft,
  stepId: string,
  update: (c: CompensationState) => CompensationState,
): void {
  setStep(draft, stepId, (step) => ({
    ...step,
    compensation: update(step.compensation ?? { status: "pending", attempts: 0 }),
  }));
}

function start(event: Extract<SagaEvent, { type: "run_started" }>, seq: number): RunState {
  return {
    runId: event.runId,
    workflow: event.workflow,
    version: event.version,
    status: "running",
    input: event.input,
    correlationId: event.correlationId,
    ...(event.trace && { trace: event.trace }),
    ...(event.concurrencyKey !== undefined && { concurrencyKey: event.concurrencyKey }),
    createdAt: event.at,
    deadlineAt: event.deadlineAt,
    updatedAt: event.at,
    seq,
    steps: {},
    completed: 0,
  };
}

/** The state after one more event. `seq` is the event's position in the log. */
export function evolve(state: RunState | undefined, event: SagaEvent, seq: number): RunState {
  if (event.type === "run_started") return start(event, seq);
  if (!state) throw new Error(`event ${event.type} at seq ${seq} precedes run_started`);
  const draft = draftOf(state);
  applyEvent(draft, event, seq);
  return draft;
}

/** Applies one event to a draft, in place. */
export function applyEvent(draft: Draft, event: SagaEvent, seq: number): void {
  if (event.type === "run_started") {
    Object.assign(draft, start(event, seq));
    return;
  }
  apply(draft, event);
  draft.seq = seq;
  draft.updatedAt = event.at;
}

function apply(d: Draft, event: Exclude<SagaEvent, { type: "run_started" }>): void {
  switch (event.type) {
    case "step_succeeded": {
      const completion = d.completed + 1;
      setStep(d, event.stepId, (s) => ({
        status: "succeeded",
        attempts: Math.max(s.attempts, event.attempt),
        output: event.output,
        startedAt: s.startedAt ?? event.startedAt,
        finishedAt: event.at,
        completion,
      }));
      d.completed = completion;
      return;
    }
    case "step_attempt_failed":
      setStep(d, event.stepId, (s) => ({
        status: "waiting",
        attempts: event.attempt,
        retryAt: event.retryAt,
        error: event.error,
        startedAt: s.startedAt ?? event.startedAt,
        ...(s.attemptBase !== undefined && { attemptBase: s.attemptBase }),
      }));
      return;
    case "step_failed":
      setStep(d, event.stepId, (s) => ({
        status: "failed",
        attempts: Math.max(s.attempts, event.attempt),
        ...(s.attemptBase !== undefined && { attemptBase: s.attemptBase }),
        error: event.error,
        ...((s.startedAt ?? event.startedAt) !== undefined && {
          startedAt: s.startedAt ?? event.startedAt,
        }),
        finishedAt: event.at,
      }));
      return;
    case "step_deferred":
      // The attempt was not made: `attempts` stays, so the same attempt number runs later.
      setStep(d, event.stepId, (s) => ({
        ...s,
        status: "waiting",
        retryAt: event.until,
        deferredReason: event.reason,
      }));
      if (event.runSlot) d.admission = "waiting";
      return;
    case "run_admitted":
      d.admission = "admitted";
      return;
    case "step_skipped":
      setStep(d, event.stepId, () => ({
        status: "skipped",
        attempts: 0,
        skipReason: event.reason,
        finishedAt: event.at,
      }));
      return;
    case "run_failed":
      d.status = "compensating";
      d.failure = {
        error: event.error,
        ...(event.stepId !== undefined && { stepId: event.stepId }),
      };
      return;
    case "run_cancel_requested":
      d.status = "compensating";
      d.cancelRequested = true;
      return;
    case "compensation_succeeded":
      setCompensation(d, event.stepId, (c) => ({
        status: "succeeded",
        attempts: event.attempt,
        startedAt: c.startedAt ?? event.startedAt,
        finishedAt: event.at,
      }));
      return;
    case "compensation_attempt_failed":
      setCompensation(d, event.stepId, (c) => ({
        status: "waiting",
        attempts: event.attempt,
        startedAt: c.startedAt ?? event.startedAt,
        retryAt: event.retryAt,
        error: event.error,
      }));
      return;
    case "compensation_failed":
      setCompensation(d, event.stepId, (c) => ({
        status: "failed",
        attempts: event.attempt,
        startedAt: c.startedAt ?? event.startedAt,
        error: event.error,
        finishedAt: event.at,
      }));
      return;
    case "run_finished":
      d.status = event.status;
      d.finishedAt = event.at;
      if (event.output !== undefined) d.output = event.output;
      return;
    case "signal_received":
      d.signals = { ...d.signals, [event.name]: event.payload };
      return;
    case "run_redriven":
      if (event.version !== undefined) d.version = event.version;
      if (event.mode === "resume") {
        resume(d, event);
        return;
      }
      for (const [id, step] of Object.entries(d.steps)) {
        if (step.compensation?.status === "failed") {
          d.steps[id] = { ...step, compensation: { status: "pending", attempts: 0 } };
        }
      }
      delete d.finishedAt;
      d.status = "compensating";
      return;
  }
}

/**
 * A failed run goes forward again. Its failed steps (and the step the failure names, if it
 * never got to fail on its own) become pending with a fresh retry budget; steps that
 * succeeded or were skipped keep their outcome, so they are not called again.
 */
function resume(d: Draft, event: Extract<SagaEvent, { type: "run_redriven" }>): void {
  const from = d.failure?.stepId;
  for (const [id, step] of Object.entries(d.steps)) {
    const named = id === from && step.status !== "succeeded" && step.status !== "skipped";
    if (step.status !== "failed" && !named) continue;
    d.steps[id] = {
      status: step.status === "waiting" ? "waiting" : "pending",
      attempts: step.attempts,
      attemptBase: step.attempts,
      redrivenAt: event.at,
      ...(step.status === "waiting" && step.retryAt !== undefined && { retryAt: event.at }),
    };
  }
  d.status = "running";
  // The slot was given back when the run failed: going forward again takes one again.
  delete d.admission;
  if (event.deadlineAt !== undefined) d.deadlineAt = event.deadlineAt;
  delete d.failure;
  delete d.finishedAt;
  delete d.output;
}

/** Folds events onto a snapshot (or from nothing). */
export function fold(
  snapshot: RunState | undefined,
  events: readonly (SagaEvent & { readonly seq: number })[],
): RunState | undefined {
  const [first, ...rest] = events;
  if (!first) return snapshot;
  const base = snapshot ?? (first.type === "run_started" ? start(first, first.seq) : undefined);
  if (!base) throw new Error(`event ${first.type} at seq ${first.seq} precedes run_started`);
  const draft = draftOf(base);
  for (const event of snapshot ? events : rest) applyEvent(draft, event, event.seq);
  return draft;
}
