import type { ErrorInfo } from "../errors.js";
import type { ServiceDefinition } from "../workflow/model.js";

/** The call may go ahead; report how it ended so breakers and limits can learn. */
export interface Admission {
  readonly admitted: true;
  done(outcome: { readonly ok: boolean; readonly error?: ErrorInfo }): Promise<void>;
}

/** Not now: try again at `retryAt`. This is backpressure, not a failure: no attempt is used. */
export interface Refusal {
  readonly admitted: false;
  readonly retryAt: number;
  /** Why, for the run's timeline: `circuit open`, `rate limited`, `concurrency limit`. */
  readonly reason: string;
}

/**
 * Decides whether a call to a service may be made now: circuit breaker, rate limit and
 * in-flight cap, with state shared by every worker.
 */
export interface CallGuard {
  admit(service: ServiceDefinition, now: number): Promise<Admission | Refusal>;
}

/** Admits everything (services without breaker, rate limit or concurrency settings). */
export const openGate: CallGuard = {
  admit: async () => ({ admitted: true, done: async () => {} }),
};
