import { describe, expect, it } from "vitest";
import {
  acquireLease,
  INITIAL_AVERAGE_MS,
  slotEstimate,
  smoothAverage,
} from "../../src/resilience/inflight.js";

const T0 = Date.UTC(2026, 0, 1);

describe("in-flight cap decisions", () => {
  it("grants leases up to the cap", () => {
    const one = acquireLease(undefined, T0, 2, { id: "a", until: T0 + 5_000 });
    expect(one).toEqual({ acquired: true, leases: { a: T0 + 5_000 } });
    const two = acquireLease(one.acquired ? one.leases : {}, T0, 2, { id: "b", until: T0 + 3_000 });
    expect(two).toEqual({ acquired: true, leases: { a: T0 + 5_000, b: T0 + 3_000 } });
    const three = acquireLease(two.acquired ? two.leases : {}, T0, 2, { id: "c", until: T0 + 9e4 });
    expect(three).toEqual({ acquired: false, expired: [], soonestExpiry: T0 + 3_000 });
  });

  it("reports expired leases (their workers died) to be removed before trying again", () => {
    const held = { dead: T0 + 1_000, live: T0 + 9_000 };
    expect(acquireLease(held, T0 + 1_000, 2, { id: "c", until: T0 + 9e4 })).toEqual({
      acquired: false,
      expired: ["dead"],
      soonestExpiry: T0 + 1_000,
    });
  });

  it("says when a held-back call should come back: a slot frees every average ÷ cap", () => {
    expect(slotEstimate(T0, 4, 400, T0 + 60_000)).toEqual({ from: T0 + 100, spacingMs: 100 });
    expect(slotEstimate(T0, 2, undefined, T0 + 60_000)).toEqual({
      from: T0 + INITIAL_AVERAGE_MS / 2,
      spacingMs: INITIAL_AVERAGE_MS / 2,
    });
    // Never later than the first lease expires, never in the past.
    expect(slotEstimate(T0, 1, 10_000, T0 + 300).from).toBe(T0 + 300);
    expect(slotEstimate(T0, 1, 10_000, T0 - 5).from).toBe(T0 + 1);
  });

  it("keeps a moving average of call durations", () => {
    expect(smoothAverage(undefined, 120)).toBe(120);
    expect(smoothAverage(100, 200)).toBeCloseTo(120);
  });
});
