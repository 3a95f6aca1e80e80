/** The run-slot decisions of a workflow's concurrency limit, with a fake clock. */
import { describe, expect, it } from "vitest";
import {
  DEFAULT_SLOT_WAIT,
  slotName,
  slotRetryAt,
  takeSlot,
} from "../../src/resilience/run-slots.js";
import { createFakeClock } from "../helpers/fake-clock.js";

describe("run slots", () => {
  it("grants up to max runs, and again to a run that holds one, without counting it twice", () => {
    const clock = createFakeClock();
    const T0 = clock.now();
    const a = takeSlot(undefined, T0, 2, { id: "a", until: T0 + 5_000 });
    expect(a).toEqual({ acquired: true, leases: { a: T0 + 5_000 } });
    const held = { a: T0 + 5_000, b: T0 + 3_000 };
    expect(takeSlot(held, T0, 2, { id: "c", until: T0 + 9_000 })).toEqual({
      acquired: false,
      soonestExpiry: T0 + 3_000,
    });
    expect(takeSlot(held, T0, 2, { id: "a", until: T0 + 9_000 })).toEqual({
      acquired: true,
      leases: { a: T0 + 9_000, b: T0 + 3_000 },
    });
  });

  it("does not count a slot past its expiry (a give-back that was lost)", () => {
    const clock = createFakeClock();
    const T0 = clock.now();
    const held = { lost: T0 + 1_000 };
    expect(takeSlot(held, T0 + 999, 1, { id: "x", until: T0 + 9e4 }).acquired).toBe(false);
    clock.advance(1_000);
    expect(takeSlot(held, clock.now(), 1, { id: "x", until: T0 + 9e4 })).toEqual({
      acquired: true,
      leases: { x: T0 + 9e4 },
    });
  });

  it("looks again soon at first, then less often, never later than the first slot expires", () => {
    const clock = createFakeClock();
    const since = clock.now();
    const far = since + 3_600_000;
    expect(slotRetryAt(clock.now(), since, far, DEFAULT_SLOT_WAIT, 0)).toBe(since + 1_000);
    clock.advance(10_000);
    expect(slotRetryAt(clock.now(), since, far, DEFAULT_SLOT_WAIT, 0)).toBe(clock.now() + 5_000);
    clock.advance(600_000);
    expect(slotRetryAt(clock.now(), since, far, DEFAULT_SLOT_WAIT, 0)).toBe(clock.now() + 30_000);
    // Spread by up to a quarter, so waiting runs do not all look at once.
    expect(slotRetryAt(clock.now(), since, far, DEFAULT_SLOT_WAIT, 0.99)).toBe(
      clock.now() + 37_425,
    );
    expect(slotRetryAt(clock.now(), since, clock.now() + 50, DEFAULT_SLOT_WAIT, 0)).toBe(
      clock.now() + 50,
    );
  });

  it("names one record per workflow, or per workflow and key", () => {
    expect(slotName("checkout", undefined)).toBe("checkout");
    expect(slotName("checkout", "cust#1")).toBe("checkout#cust#1");
  });
});
