/**
 * A run's state and events with the workflow's `sensitive` values masked: what every read
 * boundary (API, UI, CLI, logs) shows instead of what the saga log holds. The paths come
 * from the workflow version the run is pinned to.
 */
import type { Workflow } from "../workflow/model.js";
import type { SagaEvent } from "./events.js";
import {
  createSensitiveRedactor,
  type EventRoots,
  redactEvent,
  type SensitiveRedactor,
} from "./sensitive.js";
import type { RunState, StepState } from "./state.js";

/** Where the workflow's events carry documents with sensitive paths. */
export function eventRoots(workflow: Workflow): EventRoots {
  return {
    outputOf: (stepId) => workflow.stepsById.get(stepId)?.output,
    signalOutput: (name) => workflow.steps.find((s) => s.waitFor?.signal === name)?.output,
  };
}

/** A redactor that knows every sensitive value `state` holds. */
export function runRedactor(workflow: Workflow, state: RunState): SensitiveRedactor {
  const redactor = createSensitiveRedactor(workflow.sensitive);
  if (workflow.sensitive.length === 0) return redactor;
  redactor.learn("input", state.input);
  for (const step of workflow.steps) {
    const output = step.output;
    if (output === undefined) continue;
    const s = state.steps[step.id];
    if (s?.output !== undefined) redactor.learn(output, s.output);
    if (step.waitFor && state.signals?.[step.waitFor.signal] !== undefined) {
      redactor.learn(output, state.signals[step.waitFor.signal]);
    }
  }
  return redactor;
}

/**
 * `state` with each document that sensitive paths reach — the input, the step outputs, the
 * signal payloads — replaced by `at(root, document)`, `root` being the name its paths start
 * with. The other fields are left as they are.
 */
export function mapRunDocuments(
  workflow: Workflow,
  state: RunState,
  at: (root: string, document: unknown) => unknown,
): RunState {
  const steps: Record<string, StepState> = {};
  for (const [id, s] of Object.entries(state.steps)) {
    const name = workflow.stepsById.get(id)?.output;
    steps[id] =
      name === undefined || s.output === undefined ? s : { ...s, output: at(name, s.output) };
  }
  const roots = eventRoots(workflow);
  const signals =
    state.signals &&
    Object.fromEntries(
      Object.entries(state.signals).map(([name, payload]) => {
        const root = roots.signalOutput(name);
        return [name, root === undefined ? payload : at(root, payload)];
      }),
    );
  return { ...state, input: at("input", state.input), steps, ...(signals && { signals }) };
}

/** `state` as a reader may see it. */
export function redactRunState(workflow: Workflow, state: RunState): RunState {
  if (workflow.sensitive.length === 0) return state;
  const redactor = runRedactor(workflow, state);
  return redactor.scrub(mapRunDocuments(workflow, state, (root, doc) => redactor.mask(root, doc)));
}

/**
 * Redacts a run's events in order, for a stream: each event's own sensitive values are
 * learnt before it is shown, so they are masked in it and in every later event. `known`, the
 * run's state when the stream starts, seeds it: a stream resumed after event N still masks
 * values that events before N carried.
 */
export function createEventRedactor(
  workflow: Workflow,
  known?: RunState,
): <E extends SagaEvent>(event: E) => E {
  if (workflow.sensitive.length === 0) return (event) => event;
  const redactor = known
    ? runRedactor(workflow, known)
    : createSensitiveRedactor(workflow.sensitive);
  const roots = eventRoots(workflow);
  return (event) => redactEvent(redactor, roots, event);
}
