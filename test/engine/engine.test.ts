import { describe, expect, it } from "vitest";
import { advance } from "../../src/engine/advance.js";
import { commands } from "../../src/engine/commands.js";
import type { SagaEvent } from "../../src/engine/events.js";
import { prepareCall } from "../../src/engine/request.js";
import { type Outcome, onOutcome } from "../../src/engine/results.js";
import { evolve, type RunState } from "../../src/engine/state.js";
import type { ErrorInfo } from "../../src/errors.js";
import type { Workflow } from "../../src/workflow/model.js";
import { workflowFrom } from "../helpers/workflows.js";

const T0 = Date.UTC(2026, 0, 1);
const half = () => 0.5;

function begin(
  workflow: Workflow,
  input: unknown = {},
  at = T0,
): { state: RunState; events: SagaEvent[] } {
  const started: SagaEvent = {
    type: "run_started",
    at,
    runId: "run-1",
    workflow: workflow.name,
    version: workflow.version,
    input,
    correlationId: "corr-1",
    deadlineAt: at + workflow.timeoutMs,
  };
  const followed = advance(workflow, evolve(undefined, started, 1), at);
  return { state: followed.state, events: [started, ...followed.events] };
}

const ok = (output: unknown = {}) => ({ ok: true as const, output });
const err = (code: ErrorInfo["code"], retryable: boolean, extra: Partial<ErrorInfo> = {}) => ({
  ok: false as const,
  error: { code, message: code, retryable, ...extra },
});

function outcome(
  kind: Outcome["kind"],
  stepId: string,
  attempt: number,
  result: Outcome["result"],
): Outcome {
  return { kind, stepId, attempt, startedAt: T0, result };
}

function runnable(workflow: Workflow, state: RunState) {
  return commands(workflow, state).map((c) => `${c.kind}:${c.stepId}#${c.attempt}`);
}

const SEQUENTIAL = `
name: seq
version: "1"
services:
  svc: { type: http, endpoint: "http://svc" }
steps:
  - id: a
    service: svc
    method: POST /a
    output: a
    compensate: { method: "DELETE /a/{{ .a.id }}" }
  - id: b
    service: svc
    method: POST /b
    input: { from_a: "{{ .a.id }}", n: "{{ .input.n }}" }
    output: b
    retry: { max_attempts: 3, initial_interval: 1s, jitter: none }
    compensate: { method: "DELETE /b/{{ .b.id }}" }
  - id: c
    service: svc
    method: POST /c
output:
  a: "{{ .a.id }}"
  b: "{{ .b }}"
`;

describe("sequential execution", () => {
  const wf = workflowFrom(SEQUENTIAL);

  it("runs steps one after another and builds the output with JSON types kept", () => {
    let { state } = begin(wf, { n: 7 });
    expect(runnable(wf, state)).toEqual(["step:a#1"]);
    state = onOutcome(wf, state, outcome("step", "a", 1, ok({ id: "A1" })), T0 + 1, half).state;
    expect(runnable(wf, state)).toEqual(["step:b#1"]);
    const call = prepareCall(wf, state, { kind: "step", stepId: "b", attempt: 1, notBefore: 0 });
    expect(call.ok && call.call.input).toEqual({ from_a: "A1", n: 7 });
    expect(call.ok && call.call.idempotencyKey).toBe("run-1/b");
    state = onOutcome(
      wf,
      state,
      outcome("step", "b", 1, ok({ id: "B1", total: 3 })),
      T0 + 2,
      half,
    ).state;
    const last = onOutcome(wf, state, outcome("step", "c", 1, ok()), T0 + 3, half);
    expect(last.events.map((e) => e.type)).toEqual(["step_succeeded", "run_finished"]);
    expect(last.state.status).toBe("succeeded");
    expect(last.state.output).toEqual({ a: "A1", b: { id: "B1", total: 3 } });
    expect(runnable(wf, last.state)).toEqual([]);
  });

  it("records a step's outcome once: a duplicate success and a stale failure write nothing", () => {
    let { state } = begin(wf);
    state = onOutcome(wf, state, outcome("step", "a", 1, ok({ id: "A1" })), T0 + 1, half).state;
    expect(
      onOutcome(wf, state, outcome("step", "a", 1, ok({ id: "other" })), T0 + 2, half).events,
    ).toEqual([]);
    expect(
      onOutcome(wf, state, outcome("step", "a", 1, err("internal", true)), T0 + 2, half).events,
    ).toEqual([]);
    expect(state.steps.a?.output).toEqual({ id: "A1" });
  });

  it("retries a retryable failure after the backoff, then fails for good and compensates", () => {
    let { state } = begin(wf);
    state = onOutcome(wf, state, outcome("step", "a", 1, ok({ id: "A1" })), T0, half).state;
    const first = onOutcome(
      wf,
      state,
      outcome("step", "b", 1, err("unavailable", true)),
      T0 + 10,
      half,
    );
    expect(first.events).toMatchObject([
      { type: "step_attempt_failed", attempt: 1, retryAt: T0 + 10 + 1000 },
    ]);
    expect(commands(wf, first.state)).toEqual([
      { kind: "step", stepId: "b", attempt: 2, notBefore: T0 + 1010 },
    ]);
    // An outcome for an attempt the run is not waiting on is stale.
    expect(
      onOutcome(wf, first.state, outcome("step", "b", 1, err("unavailable", true)), T0 + 11, half)
        .events,
    ).toEqual([]);
    const second = onOutcome(
      wf,
      first.state,
      outcome("step", "b", 2, err("unavailable", true)),
      T0 + 2000,
      half,
    );
    expect(second.events).toMatchObject([
      { type: "step_attempt_failed", attempt: 2, retryAt: T0 + 2000 + 2000 },
    ]);
    const third = onOutcome(
      wf,
      second.state,
      outcome("step", "b", 3, err("unavailable", true)),
      T0 + 5000,
      half,
    );
    expect(third.events.map((e) => e.type)).toEqual(["step_failed", "run_failed"]);
    expect(third.state.status).toBe("compensating");
    expect(runnable(wf, third.state)).toEqual(["compensate:a#1"]);
  });

  it("fails at once on a terminal error and undoes completed steps in reverse order", () => {
    let { state } = begin(wf);
    state = onOutcome(wf, state, outcome("step", "a", 1, ok({ id: "A1" })), T0, half).state;
    state = onOutcome(wf, state, outcome("step", "b", 1, ok({ id: "B1" })), T0, half).state;
    const failed = onOutcome(
      wf,
      state,
      outcome("step", "c", 1, err("invalid_argument", false)),
      T0 + 1,
      half,
    );
    expect(failed.events.map((e) => e.type)).toEqual(["step_failed", "run_failed"]);
    state = failed.state;
    expect(runnable(wf, state)).toEqual(["compensate:b#1"]);
    const undoB = prepareCall(wf, state, {
      kind: "compensate",
      stepId: "b",
      attempt: 1,
      notBefore: 0,
    });
    expect(undoB.ok && [undoB.call.method, undoB.call.idempotencyKey]).toEqual([
      "DELETE /b/B1",
      "run-1/b/compensate",
    ]);
    state = onOutcome(wf, state, outcome("compensate", "b", 1, ok()), T0 + 2, half).state;
    expect(runnable(wf, state)).toEqual(["compensate:a#1"]);
    const done = onOutcome(wf, state, outcome("compensate", "a", 1, ok()), T0 + 3, half);
    expect(done.events.map((e) => e.type)).toEqual(["compensation_succeeded", "run_finished"]);
    expect(done.state.status).toBe("compensated");
    expect(
      onOutcome(wf, done.state, outcome("compensate", "a", 1, ok()), T0 + 4, half).events,
    ).toEqual([]);
  });

  it("honours Retry-After as a floor on the backoff", () => {
    let { state } = begin(wf);
    state = onOutcome(wf, state, outcome("step", "a", 1, ok({ id: "A1" })), T0, half).state;
    const r = onOutcome(
      wf,
      state,
      outcome("step", "b", 1, err("resource_exhausted", true, { retryAfterMs: 7000 })),
      T0,
      half,
    );
    expect(r.events).toMatchObject([{ type: "step_attempt_failed", retryAt: T0 + 7000 }]);
  });

  it("parks a run whose compensation keeps failing, and a redrive tries again", () => {
    let { state } = begin(wf);
    state = onOutcome(wf, state, outcome("step", "a", 1, ok({ id: "A1" })), T0, half).state;
    state = onOutcome(wf, state, outcome("step", "b", 1, err("not_found", false)), T0, half).state;
    expect(runnable(wf, state)).toEqual(["compensate:a#1"]);
    for (let attempt = 1; attempt < 10; attempt++) {
      const r = onOutcome(
        wf,
        state,
        outcome("compensate", "a", attempt, err("unavailable", true)),
        T0 + attempt,
        half,
      );
      expect(r.events).toMatchObject([{ type: "compensation_attempt_failed", attempt }]);
      state = r.state;
    }
    const parked = onOutcome(
      wf,
      state,
      outcome("compensate", "a", 10, err("unavailable", true)),
      T0 + 99,
      half,
    );
    expect(parked.events.map((e) => e.type)).toEqual(["compensation_failed", "run_finished"]);
    expect(parked.state.status).toBe("compensation_failed");
    expect(runnable(wf, parked.state)).toEqual([]);
    const redriven = evolve(
      parked.state,
      { type: "run_redriven", at: T0 + 100 },
      parked.state.seq + 1,
    );
    expect(redriven.status).toBe("compensating");
    expect(runnable(wf, redriven)).toEqual(["compensate:a#1"]);
  });

  it("parks at once when a compensation fails terminally", () => {
    let { state } = begin(wf);
    state = onOutcome(wf, state, outcome("step", "a", 1, ok({ id: "A1" })), T0, half).state;
    state = onOutcome(wf, state, outcome("step", "b", 1, err("not_found", false)), T0, half).state;
    const r = onOutcome(
      wf,
      state,
      outcome("compensate", "a", 1, err("permission_denied", false)),
      T0,
      half,
    );
    expect(r.state.status).toBe("compensation_failed");
  });

  it("fails the run when its deadline passes", () => {
    const { state } = begin(wf);
    const later = advance(wf, state, T0 + wf.timeoutMs);
    expect(later.events).toMatchObject([
      { type: "run_failed", error: { code: "deadline_exceeded" } },
      { type: "run_finished", status: "failed" },
    ]);
  });

  it("does not schedule a retry past the run's deadline", () => {
    let { state } = begin(wf);
    state = onOutcome(wf, state, outcome("step", "a", 1, ok({ id: "A1" })), T0, half).state;
    const near = T0 + wf.timeoutMs - 10;
    const r = onOutcome(wf, state, outcome("step", "b", 1, err("unavailable", true)), near, half);
    expect(r.events[0]?.type).toBe("step_failed");
  });

  it("cancels: completed steps are undone and the run ends cancelled", () => {
    let { state } = begin(wf);
    state = onOutcome(wf, state, outcome("step", "a", 1, ok({ id: "A1" })), T0, half).state;
    state = evolve(state, { type: "run_cancel_requested", at: T0 + 1 }, state.seq + 1);
    expect(runnable(wf, state)).toEqual(["compensate:a#1"]);
    const r = onOutcome(wf, state, outcome("compensate", "a", 1, ok()), T0 + 2, half);
    expect(r.state.status).toBe("cancelled");
  });
});

const DAG = `
name: dag
version: "1"
services:
  svc: { type: http, endpoint: "http://svc" }
steps:
  - id: start
    service: svc
    method: POST /start
    output: start
  - id: fan
    parallel:
      - id: left
        service: svc
        method: POST /left
        output: left
        compensate: { method: DELETE /left }
      - id: right
        service: svc
        method: POST /right
        output: right
        compensate: { method: DELETE /right }
      - id: optional
        service: svc
        method: POST /optional
        when: "{{ .input.extra }}"
        output: extra
  - id: join
    service: svc
    method: POST /join
    input: { l: "{{ .left.v }}", r: "{{ .right.v }}" }
  - id: uses_extra
    service: svc
    method: POST /uses-extra
    depends_on: [fan]
    input: { x: "{{ .extra.v }}" }
  - id: after_skip
    service: svc
    method: POST /after
    depends_on: [optional]
`;

describe("graphs, joins and conditions", () => {
  const wf = workflowFrom(DAG);

  it("starts every branch of a parallel group together and joins once", () => {
    let { state } = begin(wf, { extra: false });
    state = onOutcome(wf, state, outcome("step", "start", 1, ok()), T0, half).state;
    // optional's condition is false: skipped at once, so its dependents that need its output
    // are skipped, and those that merely follow it run.
    expect(state.steps.optional?.status).toBe("skipped");
    expect(state.steps.uses_extra).toBeUndefined();
    expect(runnable(wf, state).sort()).toEqual([
      "step:after_skip#1",
      "step:left#1",
      "step:right#1",
    ]);
    const left = onOutcome(wf, state, outcome("step", "left", 1, ok({ v: 1 })), T0 + 1, half);
    expect(runnable(wf, left.state)).not.toContain("step:join#1");
    const right = onOutcome(
      wf,
      left.state,
      outcome("step", "right", 1, ok({ v: 2 })),
      T0 + 2,
      half,
    );
    expect(right.state.steps.uses_extra?.status).toBe("skipped");
    expect(right.state.steps.uses_extra?.skipReason).toContain('skipped step "optional"');
    expect(runnable(wf, right.state).filter((c) => c === "step:join#1")).toHaveLength(1);
  });

  it("runs a conditional step when its condition holds", () => {
    let { state } = begin(wf, { extra: true });
    state = onOutcome(wf, state, outcome("step", "start", 1, ok()), T0, half).state;
    expect(runnable(wf, state).sort()).toEqual(["step:left#1", "step:optional#1", "step:right#1"]);
  });

  it("undoes parallel branches independently when the join fails, and records a late success", () => {
    let { state } = begin(wf, { extra: false });
    state = onOutcome(wf, state, outcome("step", "start", 1, ok()), T0, half).state;
    state = onOutcome(wf, state, outcome("step", "left", 1, ok({ v: 1 })), T0 + 1, half).state;
    state = onOutcome(
      wf,
      state,
      outcome("step", "after_skip", 1, err("failed_precondition", false)),
      T0 + 2,
      half,
    ).state;
    expect(state.status).toBe("compensating");
    expect(runnable(wf, state)).toEqual(["compensate:left#1"]);
    // right was in flight when the run failed; its success still counts and is undone too.
    const late = onOutcome(wf, state, outcome("step", "right", 1, ok({ v: 2 })), T0 + 3, half);
    expect(late.events.map((e) => e.type)).toEqual(["step_succeeded"]);
    expect(runnable(wf, late.state).sort()).toEqual(["compensate:left#1", "compensate:right#1"]);
  });

  it("fails a step whose condition cannot be evaluated", () => {
    const bad = workflowFrom(`
name: bad_when
version: "1"
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - id: a
    service: svc
    method: POST /a
    when: '{{ lt .input.n "x" }}'
`);
    const { state } = begin(bad, { n: 1 });
    expect(state.status).toBe("failed");
    expect(state.steps.a?.error?.code).toBe("template_error");
  });
});

describe("sleep steps and HTTP paths", () => {
  it("schedules a sleep from the moment its dependencies finished", () => {
    const wf = workflowFrom(`
name: sleepy
version: "1"
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - id: a
    service: svc
    method: POST /a
  - id: wait
    sleep: 90s
  - id: b
    service: svc
    method: POST /b
`);
    let { state } = begin(wf);
    state = onOutcome(wf, state, outcome("step", "a", 1, ok()), T0 + 500, half).state;
    expect(commands(wf, state)).toEqual([
      { kind: "step", stepId: "wait", attempt: 1, notBefore: T0 + 500 + 90_000 },
    ]);
  });

  it("percent-encodes template values placed in an HTTP path", () => {
    const wf = workflowFrom(SEQUENTIAL);
    let { state } = begin(wf);
    state = onOutcome(
      wf,
      state,
      outcome("step", "a", 1, ok({ id: "../admin?x=1 #" })),
      T0,
      half,
    ).state;
    const call = prepareCall(wf, state, {
      kind: "compensate",
      stepId: "a",
      attempt: 1,
      notBefore: 0,
    });
    expect(call.ok && call.call.method).toBe("DELETE /a/..%2Fadmin%3Fx%3D1%20%23");
  });

  it("turns a template that fails at run time into a terminal template_error", () => {
    const wf = workflowFrom(`
name: t
version: "1"
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - id: a
    service: svc
    method: POST /a
    input: { x: "{{ index .input.list 5 }}" }
`);
    const { state } = begin(wf, { list: [1] });
    const call = prepareCall(wf, state, { kind: "step", stepId: "a", attempt: 1, notBefore: 0 });
    expect(call.ok).toBe(false);
    expect(!call.ok && call.error).toMatchObject({ code: "template_error", retryable: false });
  });
});
