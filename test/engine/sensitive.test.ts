/**
 * The `sensitive:` paths: compiled from the language, masked at their paths in input and
 * step outputs, and — for strings of 4 or more characters — wherever they are echoed.
 */
import { describe, expect, it } from "vitest";
import { summarize } from "../../src/cli/execute.js";
import type { SagaEvent } from "../../src/engine/events.js";
import { createSensitiveRedactor, MIN_ECHO_LENGTH, REDACTED } from "../../src/engine/sensitive.js";
import { createEventRedactor, redactRunState } from "../../src/engine/sensitive-run.js";
import { fold } from "../../src/engine/state.js";
import { loadWorkflow } from "../../src/workflow/load.js";
import type { Workflow } from "../../src/workflow/model.js";

const WORKFLOW = `
name: pay
version: "1.0"
services:
  payments: { type: http, endpoint: "http://payments" }
steps:
  - id: charge_card
    service: payments
    method: POST /charges
    input: { number: "{{ .input.card.number }}" }
    output: charge
  - id: approve
    wait_for: { signal: approval }
    output: approval
sensitive:
  - input.card.number
  - input.cards.*.cvc
  - charge.card_token
  - approval.pin
`;

function workflow(): Workflow {
  const result = loadWorkflow(WORKFLOW, "pay.yaml");
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  return result.workflow;
}

const CARD = "4111111111111111";
const INPUT = { card: { number: CARD, name: "Ada" }, cards: [{ cvc: "123" }, { cvc: "987" }] };

describe("compiling sensitive paths", () => {
  it("splits each entry into segments, keeping wildcards", () => {
    expect(workflow().sensitive).toEqual([
      ["input", "card", "number"],
      ["input", "cards", "*", "cvc"],
      ["charge", "card_token"],
      ["approval", "pin"],
    ]);
  });

  it("defaults to no paths", () => {
    const result = loadWorkflow(WORKFLOW.replace(/sensitive:[\s\S]*$/, ""), "pay.yaml");
    expect(result.ok && result.workflow.sensitive).toEqual([]);
  });
});

describe("createSensitiveRedactor", () => {
  const paths = workflow().sensitive;

  it("masks values at their paths, through wildcards over lists", () => {
    const r = createSensitiveRedactor(paths);
    expect(r.mask("input", INPUT)).toEqual({
      card: { number: REDACTED, name: "Ada" },
      cards: [{ cvc: REDACTED }, { cvc: REDACTED }],
    });
  });

  it("masks a whole document or object when the path ends there", () => {
    const r = createSensitiveRedactor([["charge"], ["input", "card"]]);
    expect(r.mask("charge", { id: "ch_1", token: "tok" })).toBe(REDACTED);
    expect(r.mask("input", INPUT)).toEqual({ ...INPUT, card: REDACTED });
  });

  it("wildcards match map keys too", () => {
    const r = createSensitiveRedactor([["input", "by_id", "*", "secret"]]);
    expect(r.mask("input", { by_id: { a: { secret: "x" }, b: { other: 1 } } })).toEqual({
      by_id: { a: { secret: REDACTED }, b: { other: 1 } },
    });
  });

  it("scrubs learnt strings of at least 4 characters wherever they are echoed", () => {
    const r = createSensitiveRedactor(paths);
    r.learn("input", INPUT);
    expect(MIN_ECHO_LENGTH).toBe(4);
    expect(
      r.scrub({ echo: `card ${CARD} declined`, list: [CARD], cvc: "123", note: "1234" }),
    ).toEqual({ echo: `card ${REDACTED} declined`, list: [REDACTED], cvc: "123", note: "1234" });
  });

  it("learns every string under a sensitive object", () => {
    const r = createSensitiveRedactor([["input", "card"]]);
    r.learn("input", INPUT);
    expect(r.scrub(["Ada", `x${CARD}`])).toEqual(["Ada", `x${REDACTED}`]);
  });

  it("leaves documents without sensitive paths alone", () => {
    const r = createSensitiveRedactor(paths);
    const doc = { card: { number: CARD } };
    expect(r.mask("shipment", doc)).toBe(doc);
  });
});

describe("redactRunState and createEventRedactor", () => {
  const wf = workflow();
  const events: SagaEvent[] = [
    {
      type: "run_started",
      at: 1,
      runId: "r1",
      workflow: "pay",
      version: "1.0",
      input: INPUT,
      correlationId: "c",
      deadlineAt: 100,
    },
    {
      type: "step_succeeded",
      at: 2,
      stepId: "charge_card",
      attempt: 1,
      startedAt: 1,
      output: { id: "ch_1", card_token: "tok_abcdef", last: `${CARD}` },
    },
    { type: "signal_received", at: 3, name: "approval", payload: { pin: "9876", ok: true } },
    {
      type: "run_failed",
      at: 4,
      error: { code: "internal", retryable: false, message: `tok_abcdef and 9876 and ${CARD}` },
    },
  ];
  const state = fold(
    undefined,
    events.map((e, i) => ({ ...e, seq: i + 1 })),
  );

  it("masks input, outputs, signals, errors and echoes in a folded state", () => {
    if (!state) throw new Error("no state");
    const shown = redactRunState(wf, state);
    const text = JSON.stringify(shown);
    for (const raw of [CARD, "tok_abcdef", "9876", '"123"', '"987"'])
      expect(text).not.toContain(raw);
    expect(shown.steps.charge_card?.output).toEqual({
      id: "ch_1",
      card_token: REDACTED,
      last: REDACTED,
    });
    expect(shown.failure?.error.message).toBe(`${REDACTED} and ${REDACTED} and ${REDACTED}`);
    // The stored state is untouched: later templates still read the real values.
    expect(JSON.stringify(state)).toContain(CARD);
  });

  it("masks each event of a stream with what it and the events before it carried", () => {
    const redact = createEventRedactor(wf);
    const shown = events.map(redact);
    const text = JSON.stringify(shown);
    for (const raw of [CARD, "tok_abcdef", "9876"]) expect(text).not.toContain(raw);
    expect(shown[2]).toEqual({ ...events[2], payload: { pin: REDACTED, ok: true } });
  });

  it("a stream resumed mid-run still masks values carried by earlier events", () => {
    if (!state) throw new Error("no state");
    const redact = createEventRedactor(wf, state);
    const last = redact(events[3] as SagaEvent);
    expect(JSON.stringify(last)).not.toContain(CARD);
    expect(JSON.stringify(last)).not.toContain("tok_abcdef");
  });

  it("maestro execute prints the run's failure with its sensitive values masked", () => {
    if (!state) throw new Error("no state");
    const printed = summarize(wf, state);
    expect(printed.error).toEqual({
      code: "internal",
      message: `${REDACTED} and ${REDACTED} and ${REDACTED}`,
    });
  });
});
