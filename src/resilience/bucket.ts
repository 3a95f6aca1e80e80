/**
 * The token bucket's decisions, pure, in the form of GCRA (the generic cell rate algorithm):
 * the bucket is one number, `tat`, the earliest time the next call may go. A call at `now` may
 * go if `tat <= now`, and moves `tat` on by one interval. A `tat` up to the burst's tolerance
 * behind `now` is credit: that many calls may still go at once. Further behind (the bucket sat
 * idle), the credit is capped: `tat` restarts from `now − tolerance`. Equivalent to a bucket of
 * `burst` tokens refilled at `perSecond`, but one number that a store moves on atomically
 * ("add one interval if between now − tolerance and now"), so that concurrent workers never
 * lose a race for a token, and a busy bucket needs one write per call.
 *
 * Adaptive: when the service pushes back (HTTP 429, gRPC RESOURCE_EXHAUSTED) the pace is
 * halved (at most once per {@link THROTTLE_DEBOUNCE_MS}, never below {@link MIN_FACTOR}), no
 * call goes before the service's Retry-After, and the pace climbs back by
 * {@link RECOVERY_PER_SECOND} of the configured rate per second.
 */
import type { RateLimitSettings } from "../workflow/model.js";

/** The bucket's adaptive pace: the share of the configured rate set at `throttledAt`. */
export interface Pace {
  readonly factor: number;
  readonly throttledAt: number;
}

export const FULL_PACE: Pace = { factor: 1, throttledAt: 0 };
export const MIN_FACTOR = 1 / 16;
export const RECOVERY_PER_SECOND = 0.1;
export const THROTTLE_DEBOUNCE_MS = 1_000;

/** The share of the configured rate in force at `now`. */
export function factorAt(pace: Pace, now: number): number {
  const recovered = (Math.max(0, now - pace.throttledAt) / 1000) * RECOVERY_PER_SECOND;
  return Math.min(1, pace.factor + recovered);
}

/** The pace after a pushback at `now`. */
export function slowedPace(pace: Pace, now: number): Pace {
  return { factor: Math.max(MIN_FACTOR, factorAt(pace, now) / 2), throttledAt: now };
}

/** Time between calls at `factor` of the configured rate. */
export function intervalMs(settings: RateLimitSettings, factor: number): number {
  return 1000 / (settings.perSecond * factor);
}

/**
 * How far `tat` may lag behind now: the burst, counted in intervals at the full rate, so that
 * no mix of paces among workers lets more than `burst + perSecond × t` calls through in t.
 */
export function toleranceMs(settings: RateLimitSettings): number {
  return (settings.burst - 1) * intervalMs(settings, 1);
}

/** Whether the call got a token, and the bucket's `tat` after: the next call may go from then. */
export interface TokenDecision {
  readonly taken: boolean;
  readonly tat: number;
}

/** Where `tat` restarts after an idle period: a full burst's worth of credit. */
export function restartTat(now: number, interval: number, tolerance: number): number {
  return now - tolerance + interval;
}

/** GCRA: a token if `tat` has come; the new `tat` either way. */
export function takeToken(
  tat: number | undefined,
  now: number,
  interval: number,
  tolerance: number,
): TokenDecision {
  if (tat === undefined || tat < now - tolerance) {
    return { taken: true, tat: restartTat(now, interval, tolerance) };
  }
  if (tat > now) return { taken: false, tat };
  return { taken: true, tat: tat + interval };
}
