/**
 * What the saga log keeps of the values a workflow marks `sensitive`: envelopes instead of
 * the clear values. At their paths (the run's input, step outputs, signal payloads) every
 * value is sealed, whatever its length; elsewhere in a document field (an output echoing
 * the card number, an error message quoting it, the run's output) a string that contains a
 * sensitive value of at least {@link MIN_ECHO_LENGTH} characters is sealed whole. Opening
 * restores the documents exactly, so the engine decides and evaluates templates on the clear
 * values, in memory only.
 *
 * Pure: how a value is sealed (the cipher, its keys) is given to it.
 */
import type { Workflow } from "../workflow/model.js";
import type { SagaEvent } from "./events.js";
import {
  createSensitiveRedactor,
  type EventRoots,
  MIN_ECHO_LENGTH,
  mapAt,
  pathsUnder,
  type SensitiveRedactor,
} from "./sensitive.js";
import { eventRoots, mapRunDocuments } from "./sensitive-run.js";
import type { RunState } from "./state.js";

/** A sealed value as stored: one key, its ciphertext. */
export interface SealedValue {
  readonly $sealed: string;
}

/** Seals and opens one run's values (the cipher binds them to the run). */
export interface RunSeal {
  seal(value: unknown): SealedValue;
  open(sealed: SealedValue): unknown;
}

export function isSealed(value: unknown): value is SealedValue {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return (
    keys.length === 1 && keys[0] === "$sealed" && typeof (value as SealedValue).$sealed === "string"
  );
}

/** Event fields that carry documents; the others (type, ids, times) stay readable. */
const EVENT_DOCUMENTS = ["input", "output", "payload", "error", "reason", "concurrencyKey"];
const STATE_DOCUMENTS = ["input", "output", "signals", "steps", "failure", "concurrencyKey"];

/** Where in an event the document with sensitive paths is, and the root its paths start at. */
function documentOf(
  roots: EventRoots,
  event: SagaEvent,
): { root: string; field: "input" | "output" | "payload" } | undefined {
  switch (event.type) {
    case "run_started":
      return { root: "input", field: "input" };
    case "step_succeeded": {
      const root = roots.outputOf(event.stepId);
      return root === undefined ? undefined : { root, field: "output" };
    }
    case "signal_received": {
      const root = roots.signalOutput(event.name);
      return root === undefined ? undefined : { root, field: "payload" };
    }
    default:
      return undefined;
  }
}

/**
 * Seals one run's values as they are written; it learns the run's sensitive values from what
 * it is shown, so a value seen once is sealed wherever it is echoed later.
 */
export interface RunSealing {
  /** Learns the sensitive values of a state read back (opened) from the log. */
  learnState(state: RunState): void;
  /** Learns the sensitive values of an event read back (opened) from the log. */
  learnEvent(event: SagaEvent): void;
  sealEvent<E extends SagaEvent>(event: E): E;
  sealState(state: RunState): RunState;
}

export function createRunSealing(workflow: Workflow, seal: RunSeal): RunSealing {
  const roots = eventRoots(workflow);
  const learner: SensitiveRedactor = createSensitiveRedactor(workflow.sensitive);
  const sealOnce = (v: unknown) => (isSealed(v) ? v : seal.seal(v));
  const sealPaths = (root: string, document: unknown) =>
    pathsUnder(workflow.sensitive, root).reduce(
      (d, path) => mapAt(d, path, sealOnce, isSealed),
      document,
    );
  const sealEchoes = (value: unknown): unknown => {
    if (typeof value === "string") {
      if (value.length < MIN_ECHO_LENGTH) return value;
      return learner.values().some((s) => value.includes(s)) ? seal.seal(value) : value;
    }
    if (isSealed(value)) return value;
    if (Array.isArray(value)) return value.map(sealEchoes);
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sealEchoes(v)]));
    }
    return value;
  };
  const sealFields = <T extends object>(value: T, fields: readonly string[]): T => {
    if (learner.values().length === 0) return value;
    const copy = { ...value } as Record<string, unknown>;
    for (const f of fields) if (copy[f] !== undefined) copy[f] = sealEchoes(copy[f]);
    return copy as unknown as T;
  };
  const learnEvent = (event: SagaEvent) => {
    const at = documentOf(roots, event);
    if (at) learner.learn(at.root, (event as unknown as Record<string, unknown>)[at.field]);
  };
  const learnState = (state: RunState) => {
    learner.learn("input", state.input);
    for (const step of workflow.steps) {
      if (step.output === undefined) continue;
      const output = state.steps[step.id]?.output;
      if (output !== undefined) learner.learn(step.output, output);
      const signal = step.waitFor ? state.signals?.[step.waitFor.signal] : undefined;
      if (signal !== undefined) learner.learn(step.output, signal);
    }
  };
  return {
    learnEvent,
    learnState,
    sealEvent(event) {
      if (workflow.sensitive.length === 0) return event;
      learnEvent(event);
      const at = documentOf(roots, event);
      const pathSealed = at
        ? {
            ...event,
            [at.field]: sealPaths(at.root, (event as unknown as Record<string, unknown>)[at.field]),
          }
        : event;
      return sealFields(pathSealed, EVENT_DOCUMENTS);
    },
    sealState(state) {
      if (workflow.sensitive.length === 0) return state;
      learnState(state);
      return sealFields(mapRunDocuments(workflow, state, sealPaths), STATE_DOCUMENTS);
    },
  };
}

/**
 * `value` with every envelope in it opened (and envelopes inside opened values too). Parts
 * without envelopes are returned as they were, not copied.
 */
export function openSealed<T>(value: T, seal: RunSeal): T {
  const open = (v: unknown): unknown => {
    if (isSealed(v)) return open(seal.open(v));
    if (Array.isArray(v)) {
      const items = v.map(open);
      return items.some((item, i) => item !== v[i]) ? items : v;
    }
    if (v !== null && typeof v === "object") {
      let changed = false;
      const entries = Object.entries(v).map(([k, child]) => {
        const opened = open(child);
        if (opened !== child) changed = true;
        return [k, opened] as const;
      });
      return changed ? Object.fromEntries(entries) : v;
    }
    return v;
  };
  return open(value) as T;
}
