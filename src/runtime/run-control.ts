/**
 * Operator actions on a run: cancel (undo what completed) and redrive (retry the undos of
 * a parked run). Both are events appended through the same conflict-safe path as step
 * outcomes, followed by the tasks they make runnable.
 */
import { advanceDraft } from "../engine/advance.js";
import { toTask } from "../engine/commands.js";
import { FINAL_STATUSES, type SagaEvent } from "../engine/events.js";
import { applyEvent, draftOf, type RunState } from "../engine/state.js";
import { MaestroError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { SagaLog } from "../ports/saga-log.js";
import type { TaskSender } from "../ports/task-queue.js";
import type { Workflow } from "../workflow/model.js";
import { loadRun, record } from "./run-context.js";
import { delayed } from "./worker.js";
import type { WorkflowSource } from "./workflow-source.js";

export interface RunControlDeps {
  readonly log: SagaLog;
  readonly queue: TaskSender;
  readonly workflows: WorkflowSource;
  readonly clock: Clock;
}

function decideWith(
  event: (state: RunState, workflow: Workflow) => SagaEvent | undefined,
  now: number,
) {
  return (workflow: Workflow, state: RunState) => {
    const first = event(state, workflow);
    if (!first) return { events: [], state };
    const draft = draftOf(state);
    applyEvent(draft, first, draft.seq + 1);
    return { events: [first, ...advanceDraft(workflow, draft, now)], state: draft };
  };
}

async function act(
  deps: RunControlDeps,
  runId: string,
  event: (state: RunState, workflow: Workflow) => SagaEvent | undefined,
) {
  const ctx = await loadRun(deps.log, deps.workflows, runId);
  const now = deps.clock.now();
  const recorded = await record(deps.log, deps.workflows, ctx, decideWith(event, now), () =>
    deps.clock.now(),
  );
  if (recorded.fresh.length > 0) {
    await deps.queue.send(recorded.fresh.map((c) => delayed(toTask(runId, c), c.notBefore, now)));
  }
  return recorded.ctx.state;
}

/**
 * Cancels a running run: steps in flight finish (their results are recorded and undone),
 * nothing new starts, and every completed step is compensated. Cancelling a finished run
 * is refused; cancelling twice is harmless.
 */
export function cancelRun(deps: RunControlDeps, runId: string, reason?: string): Promise<RunState> {
  return act(deps, runId, (state) => {
    if (FINAL_STATUSES.has(state.status)) {
      throw new MaestroError("failed_precondition", `run ${runId} already ended ${state.status}`, {
        retryable: false,
      });
    }
    if (state.cancelRequested) return undefined;
    return {
      type: "run_cancel_requested",
      at: deps.clock.now(),
      ...(reason !== undefined && { reason }),
    };
  });
}

/** Retries the failed compensations of a parked (`compensation_failed`) run. */
export function redriveRun(deps: RunControlDeps, runId: string): Promise<RunState> {
  return act(deps, runId, (state) => {
    if (state.status !== "compensation_failed") {
      throw new MaestroError(
        "failed_precondition",
        `run ${runId} is ${state.status}; only compensation_failed runs can be redriven`,
        {
          retryable: false,
        },
      );
    }
    return { type: "run_redriven", at: deps.clock.now() };
  });
}

/**
 * A task that failed on every delivery is about to go to the dead-letter queue: mark its
 * run so it is not left running forever. A step's run fails (and compensates what
 * completed); a compensation is marked failed, which parks the run for an operator.
 */
export function markUnprocessable(
  deps: RunControlDeps,
  task: { runId: string; kind: string; stepId?: string; attempt?: number },
  reason: string,
): Promise<RunState> {
  const at = deps.clock.now();
  const message = `a task for ${task.stepId ? `step "${task.stepId}"` : "the run"} failed on every delivery and was moved to the dead-letter queue: ${reason}`;
  const error = new MaestroError("internal", message, { retryable: false }).toInfo();
  return act(deps, task.runId, (state) => {
    if (FINAL_STATUSES.has(state.status)) return undefined;
    const step = task.stepId === undefined ? undefined : state.steps[task.stepId];
    if (
      task.kind === "compensate" &&
      task.stepId !== undefined &&
      state.status === "compensating"
    ) {
      const attempt = (step?.compensation?.attempts ?? 0) + 1;
      return {
        type: "compensation_failed",
        at,
        stepId: task.stepId,
        attempt,
        startedAt: at,
        error,
      };
    }
    if (state.status !== "running") return undefined;
    return {
      type: "run_failed",
      at,
      error,
      ...(task.stepId !== undefined && { stepId: task.stepId }),
    };
  });
}

/**
 * Delivers a named signal to a run: the step waiting for it completes with `payload` as
 * its output (now, or as soon as the step is reached). Refused when no step of the run's
 * workflow waits for that signal, or when the run has ended.
 */
export function signalRun(
  deps: RunControlDeps,
  runId: string,
  name: string,
  payload: unknown,
): Promise<RunState> {
  return act(deps, runId, (state, workflow) => {
    if (!workflow.steps.some((s) => s.waitFor?.signal === name)) {
      throw new MaestroError(
        "not_found",
        `no step of ${workflow.name} waits for signal "${name}"`,
        { retryable: false },
      );
    }
    if (FINAL_STATUSES.has(state.status) || state.status !== "running") {
      throw new MaestroError(
        "failed_precondition",
        `run ${runId} is ${state.status}; it takes no more signals`,
        {
          retryable: false,
        },
      );
    }
    return { type: "signal_received", at: deps.clock.now(), name, payload };
  });
}
