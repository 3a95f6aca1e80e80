/**
 * Operator actions on a run: cancel (undo what completed), redrive (resume a failed run,
 * or retry the undos of a parked one), signal. Each is an event appended through the same
 * conflict-safe path as step outcomes, followed by the tasks it makes runnable.
 */
import { advanceDraft } from "../engine/advance.js";
import { toTask } from "../engine/commands.js";
import { FINAL_STATUSES, type SagaEvent } from "../engine/events.js";
import { RedriveRefusedError, redriveEvent } from "../engine/redrive.js";
import { applyEvent, draftOf, type RunState } from "../engine/state.js";
import { MaestroError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import { type Logger, silentLogger } from "../ports/logger.js";
import type { SagaLog } from "../ports/saga-log.js";
import type { TaskSender } from "../ports/task-queue.js";
import type { Workflow } from "../workflow/model.js";
import type { RunAdmission } from "./run-admission.js";
import { type Decision, type LoadedContext, loadRun, record } from "./run-context.js";
import { delayed } from "./worker.js";
import type { WorkflowSource } from "./workflow-source.js";

export interface RunControlDeps {
  readonly log: SagaLog;
  readonly queue: TaskSender;
  readonly workflows: WorkflowSource;
  readonly clock: Clock;
  /** Workflows' concurrency limits: a run this ends gives its slot back. @default none */
  readonly admission?: RunAdmission;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/** The operator's event for a state, and the definition the run follows after it if that changes. */
type Action = (
  state: RunState,
  workflow: Workflow,
) => SagaEvent | { event: SagaEvent; workflow: Workflow } | undefined;

function decideWith(action: Action, now: number) {
  return (current: Workflow, state: RunState): Decision => {
    const decided = action(state, current);
    if (!decided) return { events: [], state };
    const [first, workflow] =
      "event" in decided ? [decided.event, decided.workflow] : [decided, current];
    const draft = draftOf(state);
    applyEvent(draft, first, draft.seq + 1);
    return {
      events: [first, ...advanceDraft(workflow, draft, now)],
      state: draft,
      ...(workflow !== current && { workflow }),
    };
  };
}

async function act(deps: RunControlDeps, runId: string, event: Action, loaded?: LoadedContext) {
  const ctx = loaded ?? (await loadRun(deps.log, deps.workflows, runId));
  const now = deps.clock.now();
  const recorded = await record(deps.log, deps.workflows, ctx, decideWith(event, now), () =>
    deps.clock.now(),
  );
  if (recorded.fresh.length > 0) {
    await deps.queue.send(recorded.fresh.map((c) => delayed(toTask(runId, c), c.notBefore, now)));
  }
  const after = recorded.ctx;
  if (recorded.wrote && FINAL_STATUSES.has(after.state.status) && deps.admission) {
    // The action is done either way; a slot not given back is freed by the sweeper or expires.
    await deps.admission.release(after.workflow, after.state).catch((error: unknown) =>
      (deps.logger ?? silentLogger).warn("giving a run slot back failed", {
        runId,
        error: MaestroError.from(error).message,
      }),
    );
  }
  return after.state;
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

/** Options of {@link redriveRun}; all optional. */
export interface RedriveRunOptions {
  /**
   * A newer registered version of the run's workflow to continue on. Refused unless the
   * run's progress maps onto it (see `mappingProblem` in src/engine/redrive.ts).
   */
  readonly version?: string;
  /** Who asks, recorded in the saga log. */
  readonly by?: string;
  /** Why, recorded in the saga log. */
  readonly reason?: string;
}

/**
 * Sets a finished run going again. A `failed` run resumes forward from the step it failed
 * at: failed steps run again with a fresh attempt budget (attempt numbers go on), steps that
 * completed keep their outputs and are not called again. A `compensation_failed` run retries
 * its parked compensations. Any other status is refused with a RedriveRefusedError, as is a
 * `version` that is unknown, not newer, or that the run's progress does not map onto.
 *
 * The redrive is one event appended through the conflict-safe path: of concurrent redrives
 * one lands and the others, deciding again on the redriven run, are refused.
 */
export async function redriveRun(
  deps: RunControlDeps,
  runId: string,
  options: RedriveRunOptions = {},
): Promise<RunState> {
  const ctx = await loadRun(deps.log, deps.workflows, runId);
  const { version, by, reason } = options;
  const target =
    version === undefined ? undefined : await deps.workflows.get(ctx.state.workflow, version);
  if (version !== undefined && !target) {
    throw new RedriveRefusedError(
      "unknown_version",
      `workflow ${ctx.state.workflow}@${version} is not registered`,
    );
  }
  const request = {
    ...(target && { target }),
    ...(by !== undefined && { by }),
    ...(reason !== undefined && { reason }),
  };
  return act(
    deps,
    runId,
    (state, current) => {
      const event = redriveEvent(current, state, deps.clock.now(), request);
      return target && event.version !== undefined ? { event, workflow: target } : event;
    },
    ctx,
  );
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
