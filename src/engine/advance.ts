/**
 * The events that follow from a state by themselves, with no outside input: steps skipped by
 * their conditions, a run that finished or ran past its deadline, a compensation that ended.
 * The worker appends them together with the outcome that caused them, in one write.
 */
import { MaestroError } from "../errors.js";
import { evaluateTemplate, evaluateValue } from "../template/index.js";
import type { StepDefinition, Workflow } from "../workflow/model.js";
import type { SagaEvent } from "./events.js";
import { templateScope, templatesRoots } from "./scope.js";
import { applyEvent, type Draft, draftOf, type RunState } from "./state.js";
import { truthy } from "./truthy.js";

const DONE = new Set(["succeeded", "skipped"]);

export function depsDone(step: StepDefinition, state: RunState): boolean {
  return step.dependsOn.every((dep) => DONE.has(state.steps[dep]?.status ?? "pending"));
}

/** When a step became ready: its last dependency's finish, the run's start, or its resume. */
export function readyAt(step: StepDefinition, state: RunState): number {
  let at = Math.max(state.createdAt, state.steps[step.id]?.redrivenAt ?? 0);
  for (const dep of step.dependsOn) at = Math.max(at, state.steps[dep]?.finishedAt ?? at);
  return at;
}

/** A ready step's condition: skip it, fail it (the condition itself failed), or run it. */
function gate(
  step: StepDefinition,
  workflow: Workflow,
  state: RunState,
  now: number,
): SagaEvent | undefined {
  const skippedNeed = step.needs.find((id) => state.steps[id]?.status === "skipped");
  if (skippedNeed !== undefined) {
    return {
      type: "step_skipped",
      at: now,
      stepId: step.id,
      reason: `needs the output of skipped step "${skippedNeed}"`,
    };
  }
  if (step.when.length === 0) return undefined;
  const scope = templateScope(workflow, state, templatesRoots(step.when));
  for (const condition of step.when) {
    try {
      if (!truthy(evaluateTemplate(condition, scope))) {
        return {
          type: "step_skipped",
          at: now,
          stepId: step.id,
          reason: `when: ${condition.source} is false`,
        };
      }
    } catch (error) {
      const info = new MaestroError("template_error", `when: ${(error as Error).message}`, {
        retryable: false,
      }).toInfo();
      const attempt = state.steps[step.id]?.attempts ?? 0;
      return { type: "step_failed", at: now, stepId: step.id, attempt, error: info };
    }
  }
  return undefined;
}

/** A signal step completes when its signal has come, and fails when its timeout passes. */
function awaitSignal(step: StepDefinition, state: RunState, now: number): SagaEvent | undefined {
  const wait = step.waitFor;
  if (!wait) return undefined;
  const since = readyAt(step, state);
  const attempt = (state.steps[step.id]?.attempts ?? 0) + 1;
  if (state.signals && Object.hasOwn(state.signals, wait.signal)) {
    const output = state.signals[wait.signal];
    return {
      type: "step_succeeded",
      at: now,
      stepId: step.id,
      attempt,
      startedAt: since,
      output,
    };
  }
  if (wait.timeoutMs !== undefined && now >= since + wait.timeoutMs) {
    const message = `no signal "${wait.signal}" came within the step's timeout`;
    const error = new MaestroError("deadline_exceeded", message, { retryable: false }).toInfo();
    return { type: "step_failed", at: now, stepId: step.id, attempt, startedAt: since, error };
  }
  return undefined;
}

function runningEvents(workflow: Workflow, state: RunState, now: number): SagaEvent | undefined {
  const failed = workflow.steps.find((s) => state.steps[s.id]?.status === "failed");
  if (failed) {
    const error =
      state.steps[failed.id]?.error ?? new MaestroError("unknown", "step failed").toInfo();
    return { type: "run_failed", at: now, stepId: failed.id, error };
  }
  if (now >= state.deadlineAt) {
    const error = new MaestroError("deadline_exceeded", "the run passed its deadline", {
      retryable: false,
    }).toInfo();
    return { type: "run_failed", at: now, error };
  }
  let allDone = true;
  for (const step of workflow.steps) {
    const status = state.steps[step.id]?.status ?? "pending";
    if (DONE.has(status)) continue;
    allDone = false;
    if (status === "pending" && depsDone(step, state)) {
      const event =
        gate(step, workflow, state, now) ?? (step.waitFor && awaitSignal(step, state, now));
      if (event) return event;
    }
  }
  if (!allDone) return undefined;
  if (!workflow.output) return { type: "run_finished", at: now, status: "succeeded" };
  try {
    const output = evaluateValue(workflow.output, templateScope(workflow, state));
    return { type: "run_finished", at: now, status: "succeeded", output };
  } catch (error) {
    const info = new MaestroError("template_error", `output: ${(error as Error).message}`, {
      retryable: false,
    }).toInfo();
    return { type: "run_failed", at: now, error: info };
  }
}

/** Completed steps that still need undoing, and whether each may be undone now. */
export function compensationPlan(workflow: Workflow, state: RunState) {
  const toUndo = workflow.steps.filter(
    (s) => s.compensate && state.steps[s.id]?.status === "succeeded",
  );
  const open = toUndo.filter((s) => state.steps[s.id]?.compensation?.status !== "succeeded");
  // A step is undone only after everything built on it: its compensable descendants first.
  const ready = open.filter((s) => {
    const own = state.steps[s.id]?.compensation?.status;
    if (own === "failed") return false;
    return open.every((other) => other === s || !other.upstream.has(s.id));
  });
  return { open, ready };
}

function compensatingEvents(
  workflow: Workflow,
  state: RunState,
  now: number,
): SagaEvent | undefined {
  const { open, ready } = compensationPlan(workflow, state);
  if (ready.length > 0) return undefined;
  const stuck = open.filter((s) => state.steps[s.id]?.compensation?.status === "failed");
  if (stuck.length > 0) {
    const first = state.steps[stuck[0]?.id ?? ""]?.compensation?.error;
    const error =
      first ?? new MaestroError("unknown", "compensation failed", { retryable: false }).toInfo();
    return { type: "run_finished", at: now, status: "compensation_failed", error };
  }
  if (state.cancelRequested && !state.failure)
    return { type: "run_finished", at: now, status: "cancelled" };
  const undone = workflow.steps.some(
    (s) => state.steps[s.id]?.compensation?.status === "succeeded",
  );
  const status = state.cancelRequested ? "cancelled" : undone ? "compensated" : "failed";
  return {
    type: "run_finished",
    at: now,
    status,
    ...(state.failure && { error: state.failure.error }),
  };
}

/**
 * Applies every event that follows from `state` at `now`, one at a time, and returns them
 * with the resulting state. A run with nothing to do returns no events.
 */
export function advance(
  workflow: Workflow,
  state: RunState,
  now: number,
): { events: SagaEvent[]; state: RunState } {
  const draft = draftOf(state);
  const events = advanceDraft(workflow, draft, now);
  return { events, state: events.length === 0 ? state : draft };
}

/** {@link advance} on a draft the caller owns: the draft is updated in place. */
export function advanceDraft(workflow: Workflow, draft: Draft, now: number): SagaEvent[] {
  const events: SagaEvent[] = [];
  // Each event settles one step or the run, so the loop ends within steps + 2 rounds.
  for (let round = 0; round <= workflow.steps.length + 2; round++) {
    const event =
      draft.status === "running"
        ? runningEvents(workflow, draft, now)
        : draft.status === "compensating"
          ? compensatingEvents(workflow, draft, now)
          : undefined;
    if (!event) break;
    events.push(event);
    applyEvent(draft, event, draft.seq + 1);
  }
  return events;
}
