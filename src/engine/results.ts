/**
 * Turns the outcome of a call into saga events. Returns no events for a stale outcome —
 * a duplicate delivery or a slower twin of a call whose outcome is already recorded —
 * which is how each step's outcome is recorded exactly once.
 */
import type { ErrorInfo } from "../errors.js";
import type { CallResult } from "../ports/service-caller.js";
import type { Workflow } from "../workflow/model.js";
import { advanceDraft } from "./advance.js";
import type { SagaEvent } from "./events.js";
import { backoffMs, isRetryable } from "./retry.js";
import { selectField } from "./scope.js";
import { applyEvent, draftOf, type RunState } from "./state.js";

export interface Outcome {
  readonly kind: "step" | "compensate";
  readonly stepId: string;
  readonly attempt: number;
  readonly startedAt: number;
  readonly result: CallResult;
}

function stepEvents(
  workflow: Workflow,
  state: RunState,
  o: Outcome,
  now: number,
  random: () => number,
): SagaEvent[] {
  const def = workflow.stepsById.get(o.stepId);
  const step = state.steps[o.stepId] ?? { status: "pending", attempts: 0 };
  if (!def || step.status === "succeeded" || step.status === "failed" || step.status === "skipped")
    return [];
  if (o.result.ok) {
    // A success is recorded even when it arrives late (the run already failed): the effect
    // happened, so the step must be compensated like any other completed step.
    return [
      {
        type: "step_succeeded",
        at: now,
        stepId: o.stepId,
        attempt: o.attempt,
        startedAt: o.startedAt,
        output: selectField(o.result.output, def.select),
      },
    ];
  }
  // A failure counts only for the attempt the run is waiting on, and only while it runs.
  if (state.status !== "running" || o.attempt !== step.attempts + 1) return [];
  const error: ErrorInfo = o.result.error;
  const policy = def.call?.retry;
  // After a resume the budget starts again: attempts count from the resume, numbers go on.
  const used = o.attempt - (step.attemptBase ?? 0);
  if (policy && isRetryable(error, policy) && used < policy.maxAttempts) {
    const retryAt = now + backoffMs(policy, used, random, error);
    if (retryAt < state.deadlineAt) {
      return [
        {
          type: "step_attempt_failed",
          at: now,
          stepId: o.stepId,
          attempt: o.attempt,
          startedAt: o.startedAt,
          error,
          retryAt,
        },
      ];
    }
  }
  return [
    {
      type: "step_failed",
      at: now,
      stepId: o.stepId,
      attempt: o.attempt,
      startedAt: o.startedAt,
      error,
    },
  ];
}

function compensationEvents(
  workflow: Workflow,
  state: RunState,
  o: Outcome,
  now: number,
  random: () => number,
): SagaEvent[] {
  const def = workflow.stepsById.get(o.stepId);
  const c = state.steps[o.stepId]?.compensation ?? { status: "pending", attempts: 0 };
  if (!def?.compensate || state.status !== "compensating") return [];
  if (c.status === "succeeded" || c.status === "failed" || o.attempt !== c.attempts + 1) return [];
  const base = { at: now, stepId: o.stepId, attempt: o.attempt, startedAt: o.startedAt };
  if (o.result.ok) return [{ type: "compensation_succeeded", ...base }];
  const error = o.result.error;
  const policy = def.compensate.retry;
  // A terminal error parks the run at once: retrying cannot help, an operator must look.
  if (isRetryable(error, policy) && o.attempt < policy.maxAttempts) {
    const retryAt = now + backoffMs(policy, o.attempt, random, error);
    return [{ type: "compensation_attempt_failed", ...base, error, retryAt }];
  }
  return [{ type: "compensation_failed", ...base, error }];
}

/**
 * The events to append for an outcome, followed by everything that follows from them.
 * A run that already finished is reopened when a late success needs undoing.
 */
export function onOutcome(
  workflow: Workflow,
  state: RunState,
  outcome: Outcome,
  now: number,
  random: () => number,
): { events: SagaEvent[]; state: RunState } {
  const direct =
    outcome.kind === "step"
      ? stepEvents(workflow, state, outcome, now, random)
      : compensationEvents(workflow, state, outcome, now, random);
  if (direct.length === 0) return { events: [], state };
  const draft = draftOf(state);
  for (const event of direct) applyEvent(draft, event, draft.seq + 1);
  const late = state.status !== "running" && state.status !== "compensating";
  if (late && workflow.stepsById.get(outcome.stepId)?.compensate) {
    const reopen: SagaEvent = { type: "run_redriven", at: now };
    direct.push(reopen);
    applyEvent(draft, reopen, draft.seq + 1);
  }
  return { events: [...direct, ...advanceDraft(workflow, draft, now)], state: draft };
}

/**
 * Records that a step's call was held back (backpressure) until `until`. Nothing is
 * recorded when the run or the step has moved on.
 */
export function onDeferral(
  workflow: Workflow,
  state: RunState,
  deferral: {
    stepId: string;
    attempt: number;
    until: number;
    reason: string;
    runSlot?: boolean;
  },
  now: number,
): { events: SagaEvent[]; state: RunState } {
  const step = state.steps[deferral.stepId] ?? { status: "pending", attempts: 0 };
  const open = step.status === "pending" || step.status === "waiting";
  if (state.status !== "running" || !open || deferral.attempt !== step.attempts + 1) {
    return { events: [], state };
  }
  const event: SagaEvent = { type: "step_deferred", at: now, ...deferral };
  const draft = draftOf(state);
  applyEvent(draft, event, draft.seq + 1);
  return { events: [event, ...advanceDraft(workflow, draft, now)], state: draft };
}

/**
 * Records that the run took a concurrency slot. Nothing is recorded when it already holds one
 * or is no longer going forward (cancelled or failed while it waited).
 */
export function onAdmitted(
  workflow: Workflow,
  state: RunState,
  now: number,
): { events: SagaEvent[]; state: RunState } {
  if (state.status !== "running" || state.admission === "admitted") return { events: [], state };
  const event: SagaEvent = { type: "run_admitted", at: now };
  const draft = draftOf(state);
  applyEvent(draft, event, draft.seq + 1);
  return { events: [event, ...advanceDraft(workflow, draft, now)], state: draft };
}
