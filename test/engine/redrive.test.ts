/** Redriving a finished run, in the pure engine: resume, refusals, and moving to a newer version. */
import { describe, expect, it } from "vitest";
import { advance } from "../../src/engine/advance.js";
import { commands } from "../../src/engine/commands.js";
import type { SagaEvent } from "../../src/engine/events.js";
import { mappingProblem, RedriveRefusedError, redriveEvent } from "../../src/engine/redrive.js";
import { type Outcome, onOutcome } from "../../src/engine/results.js";
import { evolve, type RunState } from "../../src/engine/state.js";
import type { ErrorInfo } from "../../src/errors.js";
import type { Workflow } from "../../src/workflow/model.js";
import { workflowFrom } from "../helpers/workflows.js";

const T0 = Date.UTC(2026, 0, 1);
const half = () => 0.5;

function begin(workflow: Workflow, at = T0): RunState {
  const started: SagaEvent = {
    type: "run_started",
    at,
    runId: "run-1",
    workflow: workflow.name,
    version: workflow.version,
    input: { n: 7 },
    correlationId: "corr-1",
    deadlineAt: at + workflow.timeoutMs,
  };
  return advance(workflow, evolve(undefined, started, 1), at).state;
}

const ok = (output: unknown = {}) => ({ ok: true as const, output });
const err = (code: ErrorInfo["code"], retryable: boolean) => ({
  ok: false as const,
  error: { code, message: code, retryable },
});
const step = (stepId: string, attempt: number, result: Outcome["result"], at = T0): Outcome => ({
  kind: "step",
  stepId,
  attempt,
  startedAt: at,
  result,
});

function runnable(workflow: Workflow, state: RunState) {
  return commands(workflow, state).map((c) => `${c.kind}:${c.stepId}#${c.attempt}`);
}

/** Applies the redrive event and what follows from it, as run-control does. */
function redrive(current: Workflow, state: RunState, at: number, target?: Workflow) {
  const event = redriveEvent(current, state, at, { ...(target && { target }), by: "ops" });
  const next = evolve(state, event, state.seq + 1);
  return { event, state: advance(target ?? current, next, at).state };
}

const V1 = `
name: pay
version: "1.0.0"
timeout: 1h
services:
  svc: { type: http, endpoint: "http://svc", retry: { max_attempts: 2, initial_interval: 1s, jitter: none } }
steps:
  - { id: reserve, service: svc, method: POST /reserve, output: reservation }
  - id: charge
    service: svc
    method: POST /charge
    input: { ref: "{{ .reservation.id }}" }
    output: charge
  - { id: notify, service: svc, method: POST /notify }
output: { reservation: "{{ .reservation.id }}", charge: "{{ .charge.id }}" }
`;
const v1 = workflowFrom(V1);

/** reserve succeeds, charge uses up its two attempts: the run ends failed (nothing to undo). */
function failedRun(): RunState {
  let state = begin(v1);
  state = onOutcome(v1, state, step("reserve", 1, ok({ id: "R1" })), T0, half).state;
  state = onOutcome(v1, state, step("charge", 1, err("unavailable", true)), T0 + 1, half).state;
  state = onOutcome(v1, state, step("charge", 2, err("unavailable", true)), T0 + 2000, half).state;
  expect(state.status).toBe("failed");
  return state;
}

describe("resuming a failed run", () => {
  it("runs the failed step again with a fresh budget and continuing attempt numbers", () => {
    const failed = failedRun();
    const at = T0 + 3_600_000 + 5; // past the original deadline
    const { event, state } = redrive(v1, failed, at);
    expect(event).toEqual({
      type: "run_redriven",
      at,
      mode: "resume",
      fromStepId: "charge",
      deadlineAt: at + 3_600_000,
      by: "ops",
    });
    expect(state.status).toBe("running");
    expect(state.failure).toBeUndefined();
    expect(state.steps.charge).toMatchObject({ status: "pending", attempts: 2, attemptBase: 2 });
    // The completed step is not called again; the failed one continues at attempt 3, now.
    expect(commands(v1, state)).toEqual([
      { kind: "step", stepId: "charge", attempt: 3, notBefore: at },
    ]);

    // Attempt 3 fails retryably: the fresh budget (2 attempts) allows one more.
    const retried = onOutcome(v1, state, step("charge", 3, err("unavailable", true), at), at, half);
    expect(retried.events).toMatchObject([
      { type: "step_attempt_failed", attempt: 3, retryAt: at + 1000 },
    ]);
    expect(runnable(v1, retried.state)).toEqual(["step:charge#4"]);

    let done = onOutcome(v1, retried.state, step("charge", 4, ok({ id: "C1" })), at + 1000, half);
    expect(runnable(v1, done.state)).toEqual(["step:notify#1"]);
    done = onOutcome(v1, done.state, step("notify", 1, ok()), at + 1001, half);
    expect(done.state.status).toBe("succeeded");
    // The recorded output of the step that completed before the failure is used as it was.
    expect(done.state.output).toEqual({ reservation: "R1", charge: "C1" });
  });

  it("fails and ends normally again when the resumed step uses up its new budget", () => {
    const { state } = redrive(v1, failedRun(), T0 + 10_000);
    let s = onOutcome(
      v1,
      state,
      step("charge", 3, err("unavailable", true)),
      T0 + 10_001,
      half,
    ).state;
    const last = onOutcome(v1, s, step("charge", 4, err("unavailable", true)), T0 + 12_000, half);
    expect(last.events.map((e) => e.type)).toEqual(["step_failed", "run_failed", "run_finished"]);
    s = last.state;
    expect(s.status).toBe("failed");
    expect(s.steps.charge).toMatchObject({ status: "failed", attempts: 4 });
    // ... and can be redriven once more, from attempt 5.
    expect(runnable(v1, redrive(v1, s, T0 + 20_000).state)).toEqual(["step:charge#5"]);
  });

  it("ignores an outcome of an attempt from before the redrive", () => {
    const { state } = redrive(v1, failedRun(), T0 + 10_000);
    const stale = onOutcome(v1, state, step("charge", 2, err("unavailable", true)), T0, half);
    expect(stale.events).toEqual([]);
  });

  it("resumes a run that failed at its deadline with a fresh deadline", () => {
    let state = begin(v1);
    state = onOutcome(v1, state, step("reserve", 1, ok({ id: "R1" })), T0, half).state;
    const late = advance(v1, state, T0 + 3_600_000).state;
    expect(late.status).toBe("failed");
    const at = T0 + 3_700_000;
    const resumed = redrive(v1, late, at);
    expect(resumed.event).not.toHaveProperty("fromStepId");
    expect(resumed.state).toMatchObject({ status: "running", deadlineAt: at + 3_600_000 });
    expect(runnable(v1, resumed.state)).toEqual(["step:charge#1"]);
  });

  it("restarts a resumed signal step's timeout from the redrive", () => {
    const wf = workflowFrom(`
name: approve
version: "1"
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - { id: ask, service: svc, method: POST /ask }
  - { id: approval, wait_for: { signal: ok, timeout: 1m } }
`);
    let state = begin(wf);
    state = onOutcome(wf, state, step("ask", 1, ok()), T0, half).state;
    state = advance(wf, state, T0 + 60_000).state;
    expect(state.status).toBe("failed");
    const at = T0 + 500_000;
    const resumed = redrive(wf, state, at).state;
    expect(commands(wf, resumed)).toEqual([
      { kind: "step", stepId: "approval", attempt: 2, notBefore: at + 60_000 },
    ]);
    expect(advance(wf, resumed, at + 59_999).events).toEqual([]);
  });
});

describe("which runs may be redriven", () => {
  it("refuses succeeded, compensated, cancelled and unfinished runs, saying why", () => {
    const compensable = workflowFrom(
      V1.replace(
        "output: reservation }",
        "output: reservation, compensate: { method: POST /release } }",
      ),
    );
    let compensated = begin(compensable);
    compensated = onOutcome(
      compensable,
      compensated,
      step("reserve", 1, ok({ id: "R" })),
      T0,
      half,
    ).state;
    compensated = onOutcome(
      compensable,
      compensated,
      step("charge", 1, err("not_found", false)),
      T0,
      half,
    ).state;
    compensated = onOutcome(
      compensable,
      compensated,
      { ...step("reserve", 1, ok()), kind: "compensate" },
      T0,
      half,
    ).state;
    expect(compensated.status).toBe("compensated");

    let succeeded = begin(v1);
    for (const id of ["reserve", "charge", "notify"])
      succeeded = onOutcome(v1, succeeded, step(id, 1, ok({ id })), T0, half).state;
    const cancelled = advance(
      v1,
      evolve(begin(v1), { type: "run_cancel_requested", at: T0 }, 3),
      T0,
    ).state;
    const cases: [RunState, RegExp][] = [
      [compensated, /compensated .*undone; start a new run/],
      [succeeded, /succeeded/],
      [cancelled, /cancelled/],
      [begin(v1), /running .*has not finished/],
    ];
    for (const [state, message] of cases) {
      const refused = (() => {
        try {
          redriveEvent(compensable, state, T0);
        } catch (error) {
          return error;
        }
      })();
      expect(refused, state.status).toBeInstanceOf(RedriveRefusedError);
      expect((refused as RedriveRefusedError).refusal).toBe("status");
      expect((refused as Error).message).toMatch(message);
    }
  });

  it("retries the parked compensations of a compensation_failed run", () => {
    const wf = workflowFrom(
      V1.replace(
        "output: reservation }",
        "output: reservation, compensate: { method: POST /release, retry: { max_attempts: 1 } } }",
      ),
    );
    let state = begin(wf);
    state = onOutcome(wf, state, step("reserve", 1, ok({ id: "R" })), T0, half).state;
    state = onOutcome(wf, state, step("charge", 1, err("not_found", false)), T0, half).state;
    state = onOutcome(
      wf,
      state,
      { ...step("reserve", 1, err("unavailable", true)), kind: "compensate" },
      T0,
      half,
    ).state;
    expect(state.status).toBe("compensation_failed");
    const { event, state: redriven } = redrive(wf, state, T0 + 5);
    expect(event).toEqual({ type: "run_redriven", at: T0 + 5, by: "ops" });
    expect(redriven.status).toBe("compensating");
    expect(runnable(wf, redriven)).toEqual(["compensate:reserve#1"]);
  });
});

describe("redriving onto a newer version", () => {
  const v2 = workflowFrom(
    V1.replace('version: "1.0.0"', 'version: "1.1.0"')
      .replace("method: POST /charge", "method: POST /v2/charge")
      .replace(
        "output: {",
        "  - { id: receipt, service: svc, method: POST /receipt, depends_on: [notify] }\noutput: {",
      ),
  );
  const variant = (from: string, to: string) =>
    workflowFrom(V1.replace('version: "1.0.0"', 'version: "2.0.0"').replaceAll(from, to));

  it("moves the run when completed steps map: later steps follow the new definition", () => {
    const failed = failedRun();
    expect(mappingProblem(v1, v2, failed)).toBeUndefined();
    const { event, state } = redrive(v1, failed, T0 + 10_000, v2);
    expect(event).toMatchObject({ mode: "resume", version: "1.1.0", fromStepId: "charge" });
    expect(state.version).toBe("1.1.0");
    let s = onOutcome(v2, state, step("charge", 3, ok({ id: "C" })), T0 + 10_001, half).state;
    s = onOutcome(v2, s, step("notify", 1, ok()), T0 + 10_002, half).state;
    expect(runnable(v2, s)).toEqual(["step:receipt#1"]);
    s = onOutcome(v2, s, step("receipt", 1, ok()), T0 + 10_003, half).state;
    expect(s.status).toBe("succeeded");
  });

  it("names the first completed step that does not map, and why", () => {
    const failed = failedRun();
    const cases: [Workflow, RegExp][] = [
      [
        variant("POST /reserve", "POST /hold"),
        /method changed from "POST \/reserve" to "POST \/hold"/,
      ],
      [variant("reservation", "hold"), /output is named "hold", was "reservation"/],
      [variant("{ id: reserve,", "{ id: hold,"), /new version has no such step/],
      [
        variant(
          "  - { id: reserve,",
          "  - { id: audit, service: svc, method: POST /audit }\n  - { id: reserve,",
        ),
        /depend on "audit", which has not run/,
      ],
    ];
    for (const [target, why] of cases) {
      expect(mappingProblem(v1, target, failed)).toMatchObject({ stepId: "reserve" });
      expect(() => redriveEvent(v1, failed, T0, { target })).toThrow(why);
      try {
        redriveEvent(v1, failed, T0, { target });
      } catch (error) {
        expect(error).toMatchObject({ refusal: "does_not_map", stepId: "reserve" });
        expect((error as Error).message).toMatch(/step "reserve"/);
      }
    }
  });

  it("refuses a version that is not newer", () => {
    const onNewer = { ...failedRun(), version: "1.1.0" };
    expect(() => redriveEvent(v2, onNewer, T0, { target: v1 })).toThrow(
      /1\.0\.0 is not newer than pay@1\.1\.0/,
    );
    // The same version is no move at all: a plain redrive.
    expect(redriveEvent(v1, failedRun(), T0, { target: v1 })).not.toHaveProperty("version");
  });
});
