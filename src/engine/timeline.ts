/**
 * A run as people read it: one row per step in the workflow's order, with its call,
 * attempts, duration, error, and its undo. Used by the CLI, the demo and the API.
 */
import type { ErrorInfo } from "../errors.js";
import type { Workflow } from "../workflow/model.js";
import type { CompensationStatus, RunState, StepStatus } from "./state.js";

export interface TimelineRow {
  readonly step: string;
  /** `service · method` as written, or `sleep`. */
  readonly call: string;
  readonly status: StepStatus;
  readonly attempts: number;
  readonly durationMs?: number;
  readonly output?: unknown;
  readonly error?: Pick<ErrorInfo, "code" | "message">;
  readonly skipReason?: string;
  /** Why the step last waited without using an attempt (open breaker, rate limit, …). */
  readonly deferredReason?: string;
  readonly compensation?: {
    readonly call: string;
    readonly status: CompensationStatus;
    readonly attempts: number;
    readonly durationMs?: number;
    /** 1 for the first undo to finish, 2 for the next, … */
    readonly order?: number;
    readonly error?: Pick<ErrorInfo, "code" | "message">;
  };
}

const brief = (e: ErrorInfo | undefined) => e && { code: e.code, message: e.message };
const span = (start?: number, end?: number) =>
  start !== undefined && end !== undefined ? { durationMs: end - start } : {};

export function timeline(workflow: Workflow, state: RunState): TimelineRow[] {
  const undone = workflow.steps
    .filter((s) => state.steps[s.id]?.compensation?.status === "succeeded")
    .sort(
      (a, b) =>
        (state.steps[a.id]?.compensation?.finishedAt ?? 0) -
        (state.steps[b.id]?.compensation?.finishedAt ?? 0),
    )
    .map((s) => s.id);
  return workflow.steps.map((def) => {
    const s = state.steps[def.id];
    const c = s?.compensation;
    const call = def.call
      ? `${def.call.service} · ${def.call.method.source}`
      : def.waitFor
        ? `wait for signal "${def.waitFor.signal}"`
        : "sleep";
    const error = brief(s?.error);
    const compensationError = brief(c?.error);
    const order = undone.indexOf(def.id);
    return {
      step: def.id,
      call,
      status: s?.status ?? "pending",
      attempts: s?.attempts ?? 0,
      ...span(s?.startedAt, s?.finishedAt),
      ...(s?.status === "succeeded" && { output: s.output }),
      ...(error && { error }),
      ...(s?.skipReason !== undefined && { skipReason: s.skipReason }),
      ...(s?.deferredReason !== undefined && { deferredReason: s.deferredReason }),
      ...(c &&
        def.compensate && {
          compensation: {
            call: `${def.compensate.service} · ${def.compensate.method.source}`,
            status: c.status,
            attempts: c.attempts,
            ...span(c.startedAt, c.finishedAt),
            ...(order >= 0 && { order: order + 1 }),
            ...(compensationError && { error: compensationError }),
          },
        }),
    };
  });
}

/**
 * What a running run waits for before it can go on, if anything the run as a whole waits for:
 * `concurrency_slot` while its workflow's `concurrency` limit holds it back.
 */
export function runWaitingFor(state: RunState): "concurrency_slot" | undefined {
  return state.status === "running" && state.admission === "waiting"
    ? "concurrency_slot"
    : undefined;
}
