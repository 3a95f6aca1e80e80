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

function decideWith(event: (state: RunState) => SagaEvent | undefined, now: number) {
  return (workflow: Workflow, state: RunState) => {
    const first = event(state);
    if (!first) return { events: [], state };
    const draft = draftOf(state);
    applyEvent(draft, first, draft.seq + 1);
    return { events: [first, ...advanceDraft(workflow, draft, now)], state: draft };
  };
}

async function act(
  deps: RunControlDeps,
  runId: string,
  event: (state: RunState) => SagaEvent | undefined,
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
