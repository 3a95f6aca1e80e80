import { describe, expect, it } from "vitest";
import {
  type BreakerState,
  CLOSED,
  countsAsFailure,
  dropTrial,
  HALF_OPEN_RECHECK_MS,
  parseBreaker,
  peek,
  recordOutcome,
  takeTrial,
} from "../../src/resilience/breaker.js";
import type { CircuitBreakerSettings } from "../../src/workflow/model.js";

const T0 = Date.UTC(2026, 0, 1);
const settings: CircuitBreakerSettings = {
  failureThreshold: 3,
  windowMs: 60_000,
  minimumCalls: 10,
  openDurationMs: 30_000,
  halfOpenCalls: 2,
};
const fail = { failed: true };
const succeed = { failed: false };

function apply(
  state: BreakerState,
  outcomes: readonly { failed: boolean; trialId?: string }[],
  at = T0,
  s = settings,
) {
  return outcomes.reduce((acc, o) => recordOutcome(acc, o, at, s).state, state);
}

describe("circuit breaker decisions", () => {
  it("stays closed below the threshold, and a success resets the count of consecutive failures", () => {
    const state = apply(CLOSED, [fail, fail, succeed, fail, fail]);
    expect(state).toMatchObject({ status: "closed", consecutiveFailures: 2 });
    expect(peek(state, T0)).toEqual({ admitted: true });
  });

  it("opens on the threshold-th consecutive failure and refuses until open_duration has passed", () => {
    const two = apply(CLOSED, [fail, fail]);
    const third = recordOutcome(two, fail, T0 + 5, settings);
    expect(third.transition).toEqual({ from: "closed", to: "open" });
    expect(third.state).toEqual({ status: "open", openUntil: T0 + 5 + 30_000 });
    expect(peek(third.state, T0 + 29_000)).toEqual({ admitted: false, retryAt: T0 + 30_005 });
    // Due: the decision needs a conditional write (takeTrial).
    expect(peek(third.state, T0 + 30_005)).toBeUndefined();
  });

  it("ignores outcomes of calls that end after it opened", () => {
    const open: BreakerState = { status: "open", openUntil: T0 + 100 };
    expect(recordOutcome(open, fail, T0, settings).state).toBe(open);
    expect(recordOutcome(open, succeed, T0, settings).state).toBe(open);
  });

  it("goes half-open on the first admission after open_duration and admits half_open_calls trials", () => {
    const open: BreakerState = { status: "open", openUntil: T0 };
    const first = takeTrial(open, T0, settings, { trialId: "a", until: T0 + 1000 });
    expect(first.transition).toEqual({ from: "open", to: "half_open" });
    expect(first.decision).toEqual({ admitted: true, trialId: "a" });
    const second = takeTrial(first.state, T0 + 1, settings, { trialId: "b", until: T0 + 1000 });
    expect(second.decision).toEqual({ admitted: true, trialId: "b" });
    expect(second.transition).toBeUndefined();
    const third = takeTrial(second.state, T0 + 2, settings, { trialId: "c", until: T0 + 1000 });
    expect(third.decision).toEqual({ admitted: false, retryAt: T0 + 1000 });
    expect(third.state).toBe(second.state);
  });

  it("frees the slot of a trial whose lease ran out (its worker died)", () => {
    const half: BreakerState = {
      status: "half_open",
      trials: { a: T0 + 10, b: T0 + 50 },
      successes: 0,
    };
    expect(takeTrial(half, T0, settings, { trialId: "c", until: T0 + 99 }).decision).toMatchObject({
      admitted: false,
    });
    const later = takeTrial(half, T0 + 10, settings, { trialId: "c", until: T0 + 99 });
    expect(later.decision).toEqual({ admitted: true, trialId: "c" });
    expect(later.state).toEqual({
      status: "half_open",
      trials: { b: T0 + 50, c: T0 + 99 },
      successes: 0,
    });
  });

  it("closes after half_open_calls successful trials", () => {
    let state: BreakerState = {
      status: "half_open",
      trials: { a: T0 + 9, b: T0 + 9 },
      successes: 0,
    };
    const one = recordOutcome(state, { failed: false, trialId: "a" }, T0, settings);
    expect(one.state).toEqual({ status: "half_open", trials: { b: T0 + 9 }, successes: 1 });
    expect(one.transition).toBeUndefined();
    // The used slot stays used: no third trial.
    expect(
      takeTrial(one.state, T0, settings, { trialId: "c", until: T0 + 9 }).decision.admitted,
    ).toBe(false);
    state = one.state;
    const two = recordOutcome(state, { failed: false, trialId: "b" }, T0, settings);
    expect(two).toEqual({ state: CLOSED, transition: { from: "half_open", to: "closed" } });
  });

  it("reopens when a trial fails, even one whose lease ran out", () => {
    const half: BreakerState = { status: "half_open", trials: { a: T0 + 9 }, successes: 1 };
    expect(recordOutcome(half, { failed: true, trialId: "a" }, T0, settings)).toEqual({
      state: { status: "open", openUntil: T0 + 30_000 },
      transition: { from: "half_open", to: "open" },
    });
    expect(recordOutcome(half, { failed: true, trialId: "gone" }, T0, settings).transition).toEqual(
      {
        from: "half_open",
        to: "open",
      },
    );
  });

  it("ignores outcomes of calls that were not trials while half-open", () => {
    const half: BreakerState = { status: "half_open", trials: { a: T0 + 9 }, successes: 0 };
    expect(recordOutcome(half, fail, T0, settings).state).toBe(half);
    expect(recordOutcome(half, succeed, T0, settings).state).toBe(half);
  });

  it("gives back a trial slot that was never used", () => {
    const half: BreakerState = { status: "half_open", trials: { a: T0 + 9 }, successes: 0 };
    expect(dropTrial(half, "a")).toEqual({ status: "half_open", trials: {}, successes: 0 });
    expect(dropTrial(half, "b")).toBe(half);
    expect(dropTrial(CLOSED, "a")).toBe(CLOSED);
  });

  it("refuses a full half-open breaker for a short recheck when no lease ends sooner", () => {
    const half: BreakerState = { status: "half_open", trials: { a: T0 + 60_000 }, successes: 1 };
    expect(takeTrial(half, T0, settings, { trialId: "b", until: T0 + 60_000 }).decision).toEqual({
      admitted: false,
      retryAt: T0 + HALF_OPEN_RECHECK_MS,
    });
  });

  describe("failure rate over a window", () => {
    const rated: CircuitBreakerSettings = {
      ...settings,
      failureThreshold: 100,
      failureRate: 0.5,
      minimumCalls: 4,
      windowMs: 6_000,
    };

    it("opens when the share of failures reaches the rate once minimum_calls were made", () => {
      // 1 failure in 1 call is 100%, but below minimum_calls.
      let state = apply(CLOSED, [fail], T0, rated);
      expect(state.status).toBe("closed");
      state = apply(state, [succeed, fail], T0 + 100, rated);
      expect(state.status).toBe("closed"); // 2 of 3
      const fourth = recordOutcome(state, fail, T0 + 200, rated); // 3 of 4
      expect(fourth.transition).toEqual({ from: "closed", to: "open" });
    });

    it("forgets calls that fell out of the window", () => {
      let state = apply(CLOSED, [fail, fail, fail], T0, rated);
      // Seven seconds later the window holds only the new calls: 1 failure of 4.
      state = apply(state, [succeed, succeed, succeed], T0 + 7_000, rated);
      const next = recordOutcome(state, fail, T0 + 7_000, rated);
      expect(next.state.status).toBe("closed");
    });

    it("counts batched successes into the window", () => {
      const state = recordOutcome(CLOSED, { failed: true, batchedSuccesses: 9 }, T0, rated).state;
      expect(state).toMatchObject({ status: "closed", window: [{ calls: 10, failures: 1 }] });
    });

    it("keeps no window when no rate is set", () => {
      expect(apply(CLOSED, [fail, succeed, fail], T0)).toEqual({
        status: "closed",
        consecutiveFailures: 1,
        window: [],
      });
    });
  });

  it("counts only failures that say the service is unwell", () => {
    const info = (code: string) => ({ code, message: "", retryable: false }) as never;
    for (const code of [
      "unavailable",
      "deadline_exceeded",
      "internal",
      "unknown",
      "resource_exhausted",
    ])
      expect(countsAsFailure(info(code))).toBe(true);
    for (const code of ["invalid_argument", "not_found", "already_exists", "failed_precondition"])
      expect(countsAsFailure(info(code))).toBe(false);
    expect(countsAsFailure(undefined)).toBe(false);
  });

  it("reads back only what it wrote", () => {
    for (const state of [
      CLOSED,
      { status: "open", openUntil: 1 },
      { status: "half_open", trials: {}, successes: 0 },
    ])
      expect(parseBreaker(JSON.parse(JSON.stringify(state)))).toEqual(state);
    expect(parseBreaker({})).toBeUndefined();
    expect(parseBreaker({ status: "open" })).toBeUndefined();
    expect(parseBreaker(null)).toBeUndefined();
  });
});
