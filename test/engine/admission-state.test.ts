/** How a run's admission folds from its events: waiting, admitted, and again after a resume. */
import { describe, expect, it } from "vitest";
import { concurrencyKeyOf, MAX_CONCURRENCY_KEY_LENGTH } from "../../src/engine/concurrency-key.js";
import type { SagaEvent } from "../../src/engine/events.js";
import { onAdmitted, onDeferral } from "../../src/engine/results.js";
import { evolve, type RunState } from "../../src/engine/state.js";
import { runWaitingFor } from "../../src/engine/timeline.js";
import { workflowFrom } from "../helpers/workflows.js";

const T0 = Date.UTC(2026, 0, 1);
const workflow = workflowFrom(`
name: limited
version: "1"
concurrency: { max: 1, key: "{{ .input.customer }}" }
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - { id: only, service: svc, method: POST /only }
`);

function started(): RunState {
  const event: SagaEvent = {
    type: "run_started",
    at: T0,
    runId: "run-1",
    workflow: "limited",
    version: "1",
    input: { customer: "c1" },
    correlationId: "run-1",
    deadlineAt: T0 + 60_000,
    concurrencyKey: "c1",
  };
  return evolve(undefined, event, 1);
}

function apply(state: RunState, events: readonly SagaEvent[]): RunState {
  return events.reduce((s, e) => evolve(s, e, s.seq + 1), state);
}

describe("admission in the run's state", () => {
  it("waits, is admitted once, and takes a slot again after a resume", () => {
    let state = started();
    expect(state.concurrencyKey).toBe("c1");
    expect(state.admission).toBeUndefined();
    const deferral = { stepId: "only", attempt: 1, until: T0 + 1_000, reason: "r", runSlot: true };
    state = apply(state, onDeferral(workflow, state, deferral, T0).events);
    expect(state.admission).toBe("waiting");
    expect(state.steps.only).toMatchObject({ status: "waiting", attempts: 0 });
    expect(runWaitingFor(state)).toBe("concurrency_slot");

    const admitted = onAdmitted(workflow, state, T0 + 1_000);
    expect(admitted.events.map((e) => e.type)).toEqual(["run_admitted"]);
    state = apply(state, admitted.events);
    expect(state.admission).toBe("admitted");
    expect(runWaitingFor(state)).toBeUndefined();
    expect(onAdmitted(workflow, state, T0 + 2_000).events).toEqual([]);

    state = apply(state, [
      { type: "step_failed", at: T0 + 2_000, stepId: "only", attempt: 1, error: boom },
      { type: "run_failed", at: T0 + 2_000, stepId: "only", error: boom },
      { type: "run_finished", at: T0 + 2_000, status: "failed", error: boom },
      { type: "run_redriven", at: T0 + 3_000, mode: "resume", deadlineAt: T0 + 90_000 },
    ]);
    expect(state.status).toBe("running");
    expect(state.admission).toBeUndefined();
  });

  it("records no admission for a run that is no longer going forward", () => {
    const state = apply(started(), [{ type: "run_cancel_requested", at: T0 }]);
    expect(onAdmitted(workflow, state, T0).events).toEqual([]);
  });
});

const boom = { code: "internal" as const, message: "boom", retryable: false };

describe("the concurrency key of a run", () => {
  const withInput = (customer: unknown): RunState => ({ ...started(), input: { customer } });

  it("is the string as it is, any other value as JSON", () => {
    expect(concurrencyKeyOf(workflow, withInput("c-1"))).toEqual({ key: "c-1" });
    expect(concurrencyKeyOf(workflow, withInput(42))).toEqual({ key: "42" });
    expect(concurrencyKeyOf(workflow, withInput({ a: 1 }))).toEqual({ key: '{"a":1}' });
  });

  it("fails the run, with the reason, when it is empty or too long", () => {
    const reasons = ["", null, "x".repeat(MAX_CONCURRENCY_KEY_LENGTH + 1)].map((c) => {
      const found = concurrencyKeyOf(workflow, withInput(c));
      return "error" in found ? found.error.message : "no error";
    });
    expect(reasons).toEqual([
      "concurrency.key: {{ .input.customer }} is empty for this input",
      "concurrency.key: {{ .input.customer }} is empty for this input",
      `concurrency.key: longer than ${MAX_CONCURRENCY_KEY_LENGTH} characters`,
    ]);
    expect(concurrencyKeyOf(workflow, withInput("x".repeat(256)))).toHaveProperty("key");
  });
});
