/**
 * The circuit breaker's decisions, pure: state + time + settings in, new state + decision out.
 * The store I/O and the cache live in shared-record.ts and call-guard.ts.
 *
 *   closed ──(failure_threshold consecutive failures, or failure_rate over the window)──► open
 *   open ──(open_duration passed; the first admission takes a trial slot)──► half_open
 *   half_open ──(half_open_calls trials succeeded)──► closed
 *   half_open ──(a trial failed)──► open
 *
 * Half-open trials are leases (id → expiry) so that a worker that dies mid-trial does not
 * hold its slot forever; the slot frees when the lease expires.
 */
import type { ErrorCode, ErrorInfo } from "../errors.js";
import type { CircuitBreakerSettings } from "../workflow/model.js";

export type BreakerStatus = "closed" | "open" | "half_open";

/** Calls and failures that ended within one slice of the failure-rate window. */
export interface WindowBucket {
  readonly start: number;
  readonly calls: number;
  readonly failures: number;
}

export type BreakerState =
  | {
      readonly status: "closed";
      readonly consecutiveFailures: number;
      /** Kept only when `failureRate` is set. */
      readonly window: readonly WindowBucket[];
    }
  | { readonly status: "open"; readonly openUntil: number }
  | {
      readonly status: "half_open";
      /** Trials in progress: id → lease expiry (epoch ms). */
      readonly trials: Readonly<Record<string, number>>;
      readonly successes: number;
    };

export const CLOSED: BreakerState = { status: "closed", consecutiveFailures: 0, window: [] };

export interface Transition {
  readonly from: BreakerStatus;
  readonly to: BreakerStatus;
}

/** What a breaker lets through. `trial`: a half-open trial call, under lease `trialId`. */
export type BreakerDecision =
  | { readonly admitted: true; readonly trialId?: string }
  | { readonly admitted: false; readonly retryAt: number };

/** The failure-rate window is counted in this many slices. */
const WINDOW_SLICES = 6;
/** How soon a call refused because every trial slot is taken looks again. */
export const HALF_OPEN_RECHECK_MS = 1_000;

/**
 * Failures that say the service is unwell. Answers such as `invalid_argument` or `not_found`
 * mean it is up and working, so they count as successes here.
 */
const BREAKER_FAILURES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "unavailable",
  "deadline_exceeded",
  "internal",
  "unknown",
  "resource_exhausted",
  "data_loss",
  "invalid_response",
]);

export function countsAsFailure(error: ErrorInfo | undefined): boolean {
  return error !== undefined && BREAKER_FAILURES.has(error.code);
}

/**
 * Decides from a possibly cached state without writing: a closed breaker lets the call
 * through, an open one refuses until `openUntil`. `undefined` means the decision needs a
 * conditional write ({@link takeTrial}): the breaker is, or is due to become, half-open.
 */
export function peek(state: BreakerState, now: number): BreakerDecision | undefined {
  if (state.status === "closed") return { admitted: true };
  if (state.status === "open" && now < state.openUntil) {
    return { admitted: false, retryAt: state.openUntil };
  }
  return undefined;
}

/** Takes a half-open trial slot under `trialId` if one is free; moves open → half-open when due. */
export function takeTrial(
  state: BreakerState,
  now: number,
  settings: CircuitBreakerSettings,
  lease: { readonly trialId: string; readonly until: number },
): { state: BreakerState; decision: BreakerDecision; transition?: Transition } {
  const seen = peek(state, now);
  if (seen) return { state, decision: seen };
  const from = state.status;
  const trials =
    state.status === "half_open" ? liveTrials(state.trials, now) : ({} as Record<string, number>);
  const successes = state.status === "half_open" ? state.successes : 0;
  const used = Object.keys(trials).length + successes;
  if (used >= settings.halfOpenCalls) {
    const soonest = Math.min(...Object.values(trials), now + HALF_OPEN_RECHECK_MS);
    return { state, decision: { admitted: false, retryAt: Math.max(now + 1, soonest) } };
  }
  const next: BreakerState = {
    status: "half_open",
    trials: { ...trials, [lease.trialId]: lease.until },
    successes,
  };
  return {
    state: next,
    decision: { admitted: true, trialId: lease.trialId },
    ...(from === "open" && { transition: { from, to: "half_open" } }),
  };
}

/** Gives back a trial slot whose call was never made (another limit held it back). */
export function dropTrial(state: BreakerState, trialId: string): BreakerState {
  if (state.status !== "half_open" || !(trialId in state.trials)) return state;
  const { [trialId]: _dropped, ...trials } = state.trials;
  return { ...state, trials };
}

export interface BreakerOutcome {
  readonly failed: boolean;
  /** The trial lease this call ran under, if it was a half-open trial. */
  readonly trialId?: string;
  /** Successes seen earlier and not yet recorded (they only feed the failure-rate window). */
  readonly batchedSuccesses?: number;
}

/**
 * Folds a call's outcome into the state. Returns the same object when nothing changed, so
 * the caller knows it need not write. Outcomes of calls admitted while closed that end after
 * the breaker opened are ignored: the breaker already acted on the failures it saw.
 */
export function recordOutcome(
  state: BreakerState,
  outcome: BreakerOutcome,
  now: number,
  settings: CircuitBreakerSettings,
): { state: BreakerState; transition?: Transition } {
  if (state.status === "half_open") {
    const { trialId } = outcome;
    if (trialId === undefined) return { state };
    // A failed trial reopens the breaker, even one whose lease ran out: it is still news.
    if (outcome.failed) {
      return { state: opened(now, settings), transition: { from: "half_open", to: "open" } };
    }
    if (!(trialId in state.trials)) return { state };
    const { [trialId]: _done, ...rest } = state.trials;
    const successes = state.successes + 1;
    if (successes >= settings.halfOpenCalls) {
      return { state: CLOSED, transition: { from: "half_open", to: "closed" } };
    }
    return { state: { status: "half_open", trials: rest, successes } };
  }
  if (state.status === "open") return { state };

  const batched = outcome.batchedSuccesses ?? 0;
  const consecutiveFailures = outcome.failed ? state.consecutiveFailures + 1 : 0;
  const window =
    settings.failureRate === undefined
      ? state.window
      : addToWindow(state.window, now, settings.windowMs, 1 + batched, outcome.failed ? 1 : 0);
  if (consecutiveFailures === state.consecutiveFailures && window === state.window) {
    return { state };
  }
  if (outcome.failed && trips(consecutiveFailures, window, now, settings)) {
    return { state: opened(now, settings), transition: { from: "closed", to: "open" } };
  }
  return { state: { status: "closed", consecutiveFailures, window } };
}

function opened(now: number, settings: CircuitBreakerSettings): BreakerState {
  return { status: "open", openUntil: now + settings.openDurationMs };
}

function trips(
  consecutiveFailures: number,
  window: readonly WindowBucket[],
  now: number,
  settings: CircuitBreakerSettings,
): boolean {
  if (consecutiveFailures >= settings.failureThreshold) return true;
  if (settings.failureRate === undefined) return false;
  const { calls, failures } = windowTotals(window, now, settings.windowMs);
  return calls >= settings.minimumCalls && failures / calls >= settings.failureRate;
}

/** Calls and failures in the window ending at `now`. */
export function windowTotals(
  window: readonly WindowBucket[],
  now: number,
  windowMs: number,
): { calls: number; failures: number } {
  let calls = 0;
  let failures = 0;
  for (const b of inWindow(window, now, windowMs)) {
    calls += b.calls;
    failures += b.failures;
  }
  return { calls, failures };
}

function inWindow(window: readonly WindowBucket[], now: number, windowMs: number) {
  const slice = windowMs / WINDOW_SLICES;
  return window.filter((b) => b.start + slice > now - windowMs);
}

function addToWindow(
  window: readonly WindowBucket[],
  now: number,
  windowMs: number,
  calls: number,
  failures: number,
): readonly WindowBucket[] {
  const slice = windowMs / WINDOW_SLICES;
  const start = Math.floor(now / slice) * slice;
  const kept = inWindow(window, now, windowMs);
  const current = kept.find((b) => b.start === start);
  const others = kept.filter((b) => b !== current);
  return [
    ...others,
    {
      start,
      calls: (current?.calls ?? 0) + calls,
      failures: (current?.failures ?? 0) + failures,
    },
  ];
}

function liveTrials(trials: Readonly<Record<string, number>>, now: number) {
  return Object.fromEntries(Object.entries(trials).filter(([, until]) => until > now));
}

/** Reads a stored state back, or undefined if it is not one (then the breaker starts closed). */
export function parseBreaker(value: unknown): BreakerState | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  switch (v.status) {
    case "closed":
      return typeof v.consecutiveFailures === "number" && Array.isArray(v.window)
        ? (value as BreakerState)
        : undefined;
    case "open":
      return typeof v.openUntil === "number" ? (value as BreakerState) : undefined;
    case "half_open":
      return typeof v.trials === "object" && v.trials !== null && typeof v.successes === "number"
        ? (value as BreakerState)
        : undefined;
    default:
      return undefined;
  }
}
