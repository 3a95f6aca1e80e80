/**
 * Redriving a finished run: which runs may be redriven, what the redrive records, and when a
 * run may move to a newer version of its workflow on the way.
 *
 * - `failed` (nothing to undo) resumes forward from where it failed.
 * - `compensation_failed` (an undo is parked) retries its compensations.
 * - `compensated`, `succeeded`, `cancelled` and unfinished runs are refused: a compensated
 *   run's effects were undone, so going on would build on effects that no longer exist.
 */
import { MaestroError } from "../errors.js";
import type { StepDefinition, Workflow } from "../workflow/model.js";
import { compareVersions } from "../workflow/versions.js";
import type { RunRedriven } from "./events.js";
import type { RunState } from "./state.js";

/**
 * Why a redrive was refused: the run's `status` forbids it, the target version is
 * `unknown_version` (not registered), `not_newer` than the run's, or the run's progress
 * `does_not_map` onto it.
 */
export type RedriveRefusal = "status" | "unknown_version" | "not_newer" | "does_not_map";

const CODES = {
  status: "failed_precondition",
  unknown_version: "not_found",
  not_newer: "invalid_argument",
  does_not_map: "invalid_argument",
} as const;

/** A redrive that cannot be done, with the step at fault when a step is. */
export class RedriveRefusedError extends MaestroError {
  override readonly name = "RedriveRefusedError";
  constructor(
    readonly refusal: RedriveRefusal,
    message: string,
    readonly stepId?: string,
  ) {
    super(CODES[refusal], message, { retryable: false });
  }
}

export interface RedriveOptions {
  /** A newer registered version of the run's workflow to continue on. */
  readonly target?: Workflow;
  readonly by?: string;
  readonly reason?: string;
}

const REFUSED: Partial<Record<RunState["status"], string>> = {
  compensated: "its completed steps were undone; start a new run",
  succeeded: "it succeeded; there is nothing to redrive",
  cancelled: "it was cancelled; start a new run",
};

function sameCall(a: StepDefinition, b: StepDefinition): string | undefined {
  const kind = (s: StepDefinition) => (s.call ? "call" : s.waitFor ? "signal" : "sleep");
  if (kind(a) !== kind(b)) return `it is a ${kind(b)} step in the new version, was a ${kind(a)}`;
  if (a.call && b.call) {
    if (a.call.service !== b.call.service)
      return `its service changed from "${a.call.service}" to "${b.call.service}"`;
    if (a.call.method.source !== b.call.method.source)
      return `its method changed from "${a.call.method.source}" to "${b.call.method.source}"`;
  }
  if (a.waitFor && b.waitFor && a.waitFor.signal !== b.waitFor.signal)
    return `it waits for signal "${b.waitFor.signal}", was "${a.waitFor.signal}"`;
  if (a.output !== b.output)
    return `its output is named ${b.output ? `"${b.output}"` : "nothing"}, was ${a.output ? `"${a.output}"` : "nothing"}`;
  return undefined;
}

/**
 * Why the run's progress does not carry over to `target`, or undefined when it does. It
 * carries over when every step that succeeded exists in `target` with the same id, kind,
 * service, method (as written) and output name — so the outputs later templates read are
 * where they expect them — and, in `target`, depends only on steps that succeeded or were
 * skipped: a completed step must not gain a dependency that never ran. Steps still to run
 * may be new, changed or removed; they run as `target` defines them.
 */
export function mappingProblem(
  current: Workflow,
  target: Workflow,
  state: RunState,
): { stepId: string; why: string } | undefined {
  const finished = (id: string) => {
    const status = state.steps[id]?.status;
    return status === "succeeded" || status === "skipped";
  };
  for (const step of current.steps) {
    if (state.steps[step.id]?.status !== "succeeded") continue;
    const next = target.stepsById.get(step.id);
    if (!next) return { stepId: step.id, why: "it completed but the new version has no such step" };
    const changed = sameCall(step, next);
    if (changed) return { stepId: step.id, why: `it completed but ${changed}` };
    const unmet = [...next.upstream].find((id) => !finished(id));
    if (unmet !== undefined) {
      return {
        stepId: step.id,
        why: `it completed but the new version makes it depend on "${unmet}", which has not run`,
      };
    }
  }
  return undefined;
}

/**
 * The event that redrives `state`, or a RedriveRefusedError saying why it cannot be.
 * `current` is the definition the run is pinned to; `options.target` a version to move to.
 */
export function redriveEvent(
  current: Workflow,
  state: RunState,
  now: number,
  options: RedriveOptions = {},
): RunRedriven {
  const resumable = state.status === "failed";
  if (!resumable && state.status !== "compensation_failed") {
    const why = REFUSED[state.status] ?? "it has not finished";
    throw new RedriveRefusedError(
      "status",
      `run ${state.runId} is ${state.status} and cannot be redriven: ${why}`,
    );
  }
  const target = options.target;
  const moves = target !== undefined && target.version !== state.version;
  if (target && moves) {
    if (target.name !== state.workflow || compareVersions(target.version, state.version) <= 0) {
      throw new RedriveRefusedError(
        "not_newer",
        `version ${target.version} is not newer than ${state.workflow}@${state.version}, which the run is on`,
      );
    }
    const problem = mappingProblem(current, target, state);
    if (problem) {
      throw new RedriveRefusedError(
        "does_not_map",
        `run ${state.runId} cannot move to ${target.name}@${target.version}: step "${problem.stepId}": ${problem.why}`,
        problem.stepId,
      );
    }
  }
  const definition = moves ? target : current;
  return {
    type: "run_redriven",
    at: now,
    ...(resumable && { mode: "resume" as const }),
    ...(resumable && state.failure?.stepId !== undefined && { fromStepId: state.failure.stepId }),
    ...(moves && { version: definition.version }),
    // A resumed run gets a fresh deadline, or one that had passed would fail it again at once.
    ...(resumable && { deadlineAt: Math.max(state.deadlineAt, now + definition.timeoutMs) }),
    ...(options.by !== undefined && { by: options.by }),
    ...(options.reason !== undefined && { reason: options.reason }),
  };
}
