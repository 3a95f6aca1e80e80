/**
 * A service's circuit breaker as this process sees it: the shared record (breaker.ts decides,
 * shared-record.ts caches and writes) and the successes not yet worth a write.
 *
 * A healthy breaker costs one read per `cacheMs` and no write: outcomes are written only on a
 * failure, on the first success after failures, and, with `failure_rate`, as batched successes
 * at most once per `cacheMs` while the window holds failures (a rate needs the successes too,
 * but only once there is something to divide).
 */
import type { ErrorInfo } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { CircuitBreakerSettings } from "../workflow/model.js";
import {
  type BreakerDecision,
  type BreakerState,
  CLOSED,
  countsAsFailure,
  dropTrial,
  parseBreaker,
  peek,
  recordOutcome,
  type Transition,
  takeTrial,
  windowTotals,
} from "./breaker.js";
import type { GuardStore } from "./guard-store.js";
import { createSharedRecord } from "./shared-record.js";

export interface SharedBreaker {
  /** What the cached state decides; undefined when a trial slot must be taken (a write). */
  check(now: number): Promise<BreakerDecision | undefined>;
  takeTrial(
    now: number,
    settings: CircuitBreakerSettings,
    lease: { readonly trialId: string; readonly until: number },
  ): Promise<{ decision: BreakerDecision; transition?: Transition }>;
  /** Gives back a trial slot whose call was not made. */
  dropTrial(trialId: string): Promise<void>;
  /** Feeds a call's outcome to the breaker; the transition it caused, if any. */
  learn(
    outcome: { readonly ok: boolean; readonly error?: ErrorInfo },
    trialId: string | undefined,
    settings: CircuitBreakerSettings,
  ): Promise<Transition | undefined>;
}

export function createSharedBreaker(options: {
  readonly service: string;
  readonly store: GuardStore;
  readonly clock: Clock;
  readonly cacheMs: number;
}): SharedBreaker {
  const { service, store, clock, cacheMs } = options;
  const record = createSharedRecord<BreakerState>({
    name: `the breaker of service ${service}`,
    read: () => store.readBreaker(service),
    write: (state, version) => store.writeBreaker(service, state, version),
    clock,
    parse: parseBreaker,
  });
  let pendingSuccesses = 0;
  let flushedAt = Number.NEGATIVE_INFINITY;

  return {
    async check(now) {
      return peek((await record.read(cacheMs)) ?? CLOSED, now);
    },

    takeTrial(now, settings, lease) {
      return record.update((s) => {
        const t = takeTrial(s ?? CLOSED, now, settings, lease);
        return { state: t.state, result: t };
      });
    },

    async dropTrial(trialId) {
      await record.update((s) => ({ state: dropTrial(s ?? CLOSED, trialId), result: 0 }));
    },

    async learn(outcome, trialId, settings) {
      const now = clock.now();
      const failed = !outcome.ok && countsAsFailure(outcome.error);
      if (!failed && trialId === undefined) {
        const known = record.cached() ?? CLOSED;
        // A success that ends after the breaker opened changes nothing: trials decide.
        if (known.status !== "closed") return undefined;
        if (known.consecutiveFailures === 0) {
          if (settings.failureRate === undefined) return undefined;
          const { failures } = windowTotals(known.window, now, settings.windowMs);
          if (failures === 0 || now - flushedAt < cacheMs) {
            pendingSuccesses++;
            return undefined;
          }
        }
      }
      const batchedSuccesses = settings.failureRate === undefined ? 0 : pendingSuccesses;
      pendingSuccesses = 0;
      flushedAt = now;
      return record.update((s) => {
        const base = s ?? CLOSED;
        const out = recordOutcome(
          base,
          { failed, batchedSuccesses, ...(trialId !== undefined && { trialId }) },
          now,
          settings,
        );
        return out.state === base
          ? { result: undefined }
          : { state: out.state, result: out.transition };
      });
    },
  };
}
