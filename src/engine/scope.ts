/**
 * What templates see while a run executes: `.input`, `.run`, and each finished step's
 * output under its name. Built from the folded state, so it costs the same at every step.
 */
import type { Workflow } from "../workflow/model.js";
import type { RunState } from "./state.js";

export function templateScope(workflow: Workflow, state: RunState): Record<string, unknown> {
  const scope: Record<string, unknown> = {
    input: state.input,
    run: {
      id: state.runId,
      workflow: state.workflow,
      version: state.version,
      started_at: new Date(state.createdAt).toISOString(),
      correlation_id: state.correlationId,
    },
  };
  for (const [name, stepId] of workflow.outputs) {
    const step = state.steps[stepId];
    if (step?.status === "succeeded") scope[name] = step.output;
  }
  return scope;
}

/** Picks `data.user` out of a response; a missing field yields null. */
export function selectField(value: unknown, path: readonly string[] | undefined): unknown {
  if (!path) return value;
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, key))
      return null;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
