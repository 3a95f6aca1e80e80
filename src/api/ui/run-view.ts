/**
 * What the run page shows, computed from the workflow and the run's folded state: the
 * timeline rows (the same rows `GET /v1/runs/{id}` returns) with the status a person
 * reads off a picture — a step whose call is in flight is `running`, an undone step is
 * `compensated` — and the compensations in the order they ran.
 */
import { FINAL_STATUSES } from "../../engine/events.js";
import type { RunState } from "../../engine/state.js";
import { type TimelineRow, timeline } from "../../engine/timeline.js";
import { layers } from "../../workflow/graph.js";
import type { Workflow } from "../../workflow/model.js";

export const DISPLAY_STATUSES = [
  "pending",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "skipped",
  "compensating",
  "compensated",
  "compensation_failed",
] as const;
export type DisplayStatus = (typeof DISPLAY_STATUSES)[number];

export interface StepView {
  readonly row: TimelineRow;
  readonly display: DisplayStatus;
  readonly dependsOn: readonly string[];
  readonly group?: string;
  /** Column in the graph: one more than the deepest dependency. */
  readonly layer: number;
  /** Why a step shows `waiting`: a retry, a signal, a sleep, an open breaker. */
  readonly waitingFor?: string;
}

export interface CompensationView {
  readonly step: string;
  readonly call: string;
  readonly status: "pending" | "waiting" | "succeeded" | "failed";
  readonly attempts: number;
  readonly durationMs?: number;
  /** 1 for the first undo to finish; absent while it has not. */
  readonly order?: number;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface RunView {
  readonly state: RunState;
  /** False when the run's workflow version is no longer known: no graph then. */
  readonly known: boolean;
  readonly steps: readonly StepView[];
  readonly compensations: readonly CompensationView[];
  readonly final: boolean;
}

function displayOf(
  row: TimelineRow,
  state: RunState,
  ready: boolean,
  def: Workflow["steps"][number],
): { display: DisplayStatus; waitingFor?: string } {
  const undo = row.compensation?.status;
  if (undo === "succeeded") return { display: "compensated" };
  if (undo === "failed") return { display: "compensation_failed" };
  if (undo === "pending" || undo === "waiting") return { display: "compensating" };
  if (row.status === "waiting") {
    return {
      display: "waiting",
      waitingFor: row.deferredReason ?? (row.error ? "a retry" : "its turn"),
    };
  }
  if (row.status !== "pending" || state.status !== "running" || !ready) {
    return { display: row.status };
  }
  // Ready and undecided while the run runs: a call is in flight, or a timer or signal is due.
  if (def.waitFor) return { display: "waiting", waitingFor: `signal "${def.waitFor.signal}"` };
  if (def.sleepMs !== undefined) return { display: "waiting", waitingFor: "the end of a sleep" };
  return { display: "running" };
}

/** Builds the page's view of a run; `workflow` is the version the run started on. */
export function runView(workflow: Workflow | undefined, state: RunState): RunView {
  const final = FINAL_STATUSES.has(state.status);
  if (!workflow) return { state, known: false, steps: [], compensations: [], final };
  const rows = timeline(workflow, state);
  const deps = new Map(workflow.steps.map((s) => [s.id, s.dependsOn]));
  const layer = layers(
    workflow.steps.map((s) => s.id),
    deps,
  );
  const done = (id: string) => {
    const status = state.steps[id]?.status;
    return status === "succeeded" || status === "skipped";
  };
  const steps = workflow.steps.map((def, i): StepView => {
    const row = rows[i] as TimelineRow;
    const shown = displayOf(row, state, def.dependsOn.every(done), def);
    return {
      row,
      ...shown,
      dependsOn: def.dependsOn,
      ...(def.group !== undefined && { group: def.group }),
      layer: layer.get(def.id) ?? 0,
    };
  });
  return { state, known: true, steps, compensations: compensations(workflow, state, rows), final };
}

/**
 * Finished undos in the order they finished, then the ones still to finish in the order
 * the compensator takes them (reverse order of completion).
 */
function compensations(
  workflow: Workflow,
  state: RunState,
  rows: readonly TimelineRow[],
): CompensationView[] {
  const unwinding = state.status === "compensating";
  const list = rows.flatMap((row, i): CompensationView[] => {
    const def = workflow.steps[i];
    if (row.compensation) return [{ step: row.step, ...row.compensation }];
    // Not attempted yet, but due: show it as pending while the run unwinds.
    if (unwinding && def?.compensate && row.status === "succeeded") {
      const call = `${def.compensate.service} · ${def.compensate.method.source}`;
      return [{ step: row.step, call, status: "pending", attempts: 0 }];
    }
    return [];
  });
  const completion = (step: string) => state.steps[step]?.completion ?? 0;
  return list.sort((a, b) => {
    if (a.order !== undefined && b.order !== undefined) return a.order - b.order;
    if (a.order !== undefined) return -1;
    if (b.order !== undefined) return 1;
    return completion(b.step) - completion(a.step);
  });
}
