import { describe, expect, it } from "vitest";
import {
  FULL_PACE,
  factorAt,
  intervalMs,
  MIN_FACTOR,
  type Pace,
  RECOVERY_PER_SECOND,
  slowedPace,
  takeToken,
  toleranceMs,
} from "../../src/resilience/bucket.js";
import type { RateLimitSettings } from "../../src/workflow/model.js";

const T0 = Date.UTC(2026, 0, 1);
const settings: RateLimitSettings = { perSecond: 10, burst: 3 };
const interval = intervalMs(settings, 1);
const tolerance = toleranceMs(settings);

/** `n` callers asking at `now`: how many got a token, and the bucket after. */
function ask(tat: number | undefined, n: number, now: number, every = interval) {
  let taken = 0;
  let current = tat;
  for (let i = 0; i < n; i++) {
    const d = takeToken(current, now, every, tolerance);
    current = d.tat;
    if (d.taken) taken++;
  }
  return { taken, tat: current };
}

describe("token bucket decisions (GCRA)", () => {
  it("starts full: a burst of `burst` calls passes at once, the next waits one interval", () => {
    expect(interval).toBe(100);
    expect(tolerance).toBe(200);
    const burst = ask(undefined, 4, T0);
    expect(burst.taken).toBe(3);
    // The bucket's clock is when the next call may go.
    expect(burst.tat).toBe(T0 + 100);
  });

  it("refills at the rate, never beyond the burst", () => {
    const empty = ask(undefined, 3, T0).tat;
    expect(ask(empty, 5, T0 + 100).taken).toBe(1);
    expect(ask(empty, 5, T0 + 250).taken).toBe(2);
    expect(ask(empty, 10, T0 + 60_000).taken).toBe(3);
  });

  it("admits no more than rate × t + burst calls over any stretch of time", () => {
    let tat: number | undefined;
    let admitted = 0;
    // Ten callers every 10 ms for 5 s.
    for (let t = 0; t <= 5_000; t += 10) {
      const r = ask(tat, 10, T0 + t);
      tat = r.tat;
      admitted += r.taken;
    }
    expect(admitted).toBeLessThanOrEqual(10 * 5 + 3);
    expect(admitted).toBeGreaterThanOrEqual(10 * 5);
  });

  it("keeps the bound when workers use different paces (a stale view of pushback)", () => {
    let tat: number | undefined;
    let admitted = 0;
    for (let t = 0; t <= 5_000; t += 10) {
      // Half the callers think the pace is full, half think it is halved.
      const fast = ask(tat, 5, T0 + t, interval);
      const slow = ask(fast.tat, 5, T0 + t, interval * 2);
      tat = slow.tat;
      admitted += fast.taken + slow.taken;
    }
    expect(admitted).toBeLessThanOrEqual(10 * 5 + 3);
  });

  it("halves the pace on pushback, never below MIN_FACTOR, and recovers over time", () => {
    const once = slowedPace(FULL_PACE, T0);
    expect(once).toEqual({ factor: 0.5, throttledAt: T0 });
    expect(factorAt(once, T0 + 1_000)).toBeCloseTo(0.5 + RECOVERY_PER_SECOND);
    expect(factorAt(once, T0 + 60_000)).toBe(1);
    let pace: Pace = FULL_PACE;
    for (let i = 0; i < 10; i++) pace = slowedPace(pace, T0);
    expect(pace.factor).toBe(MIN_FACTOR);
    // Pushback every second holds the pace where halving meets recovery.
    pace = FULL_PACE;
    for (let i = 0; i < 30; i++) pace = slowedPace(pace, T0 + i * 1_000);
    expect(pace.factor).toBeCloseTo(RECOVERY_PER_SECOND, 3);
    expect(intervalMs(settings, 0.5)).toBe(200);
  });

  it("holds every call until a Retry-After, then one per interval", () => {
    // A pause moves the clock up to the Retry-After.
    const paused = T0 + 5_000;
    expect(ask(paused, 3, T0 + 4_999).taken).toBe(0);
    expect(ask(paused, 3, T0 + 5_000).taken).toBe(1);
  });
});
