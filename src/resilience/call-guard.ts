/**
 * The call guard: a service's circuit breaker, token bucket and in-flight cap, with state
 * shared by every worker through a {@link GuardStore}. The decisions are the pure functions of
 * breaker.ts, bucket.ts, inflight.ts and line.ts; this file orders them, undoes what an
 * earlier limit took when a later one says no, and reports transitions.
 *
 * Order: first what the cache can decide without a write (an open breaker, a bucket that is
 * surely empty), then the writes: a half-open trial slot, a lease, a token. A token comes last
 * because it cannot be given back; a trial slot or a lease taken for a call that a later limit
 * holds back is given back.
 *
 * What a call costs in store requests:
 * - a service with none of the settings: nothing (the guard is not even looked up);
 * - a circuit breaker on a healthy service: one read per `cacheMs` per process, whatever the
 *   call rate, and no write (see shared-breaker.ts);
 * - a rate limit: one atomic update per call (two when the bucket was idle and another worker
 *   got there first); a call held back costs one more, to take its place in the line;
 * - an in-flight cap: one atomic update to take a lease and one to give it back.
 */
import { randomUUID } from "node:crypto";
import { type ErrorInfo, MaestroError } from "../errors.js";
import type { Admission, CallGuard, Refusal } from "../ports/call-guard.js";
import { type Clock, systemClock } from "../ports/clock.js";
import { type Logger, silentLogger } from "../ports/logger.js";
import type { ServiceDefinition } from "../workflow/model.js";
import type { BreakerDecision, Transition } from "./breaker.js";
import {
  FULL_PACE,
  factorAt,
  intervalMs,
  type Pace,
  slowedPace,
  THROTTLE_DEBOUNCE_MS,
  toleranceMs,
} from "./bucket.js";
import { type Counters, noCounters } from "./counters.js";
import { ContentionError, type GuardStore } from "./guard-store.js";
import { slotEstimate, smoothAverage } from "./inflight.js";
import { createSharedBreaker, type SharedBreaker } from "./shared-breaker.js";

export interface CallGuardOptions {
  readonly store: GuardStore;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Breaker transitions, pushback and store trouble are logged here. @default silentLogger */
  readonly logger?: Logger;
  /** See {@link GUARD_METRICS}. @default none */
  readonly counters?: Counters;
  /** How long a breaker's state is trusted without reading the store again. @default 1000 */
  readonly cacheMs?: number;
  /**
   * How much longer than the service's timeout a lease (in-flight slot, half-open trial)
   * lives, so that a worker that died mid-call frees its slot eventually. @default 30000
   */
  readonly leaseMarginMs?: number;
  /** Uniform in [0, 1): spreads the return of calls held back by store trouble. */
  readonly random?: () => number;
  readonly newId?: () => string;
}

/** Counter names the guard increments, with their labels. */
export const GUARD_METRICS = {
  /** `service`, `from`, `to`: counted once, by the worker whose write made the change. */
  transitions: "maestro_circuit_transitions_total",
  /** `service`, `reason`: calls held back (each becomes a deferred step). */
  heldBack: "maestro_calls_held_back_total",
  /** `service`: 429 / RESOURCE_EXHAUSTED answers from a rate-limited service. */
  pushback: "maestro_service_pushback_total",
  /** `service`: store requests that failed (the call was held back, or an outcome not recorded). */
  storeErrors: "maestro_guard_store_errors_total",
} as const;

/** The `reason` of a refusal, as recorded in the run's timeline. */
export const HOLD_REASONS = {
  open: "circuit open",
  rate: "rate limited",
  concurrency: "concurrency limit",
  unavailable: "guard unavailable",
} as const;

/** How long a call waits when the store could not be asked (plus up to as much at random). */
const UNAVAILABLE_WAIT_MS = 1_000;
/** Calls whose writes kept losing races come back within this long, at random. */
const CONTENTION_WAIT_MS = 250;

/** What this process remembers about a service between calls. */
interface Local {
  readonly breaker: SharedBreaker;
  /** The bucket's pace and next free token as last seen: no call before it can get one. */
  pace: Pace;
  nextTokenAt: number;
  /** This process's moving average of call durations. */
  averageMs: number | undefined;
}

const FREE: Admission = { admitted: true, done: async () => {} };

/**
 * Creates a guard. Give every worker of a deployment the same store (the saga table on Lambda)
 * and each process one guard, so that its workers share the cache.
 *
 * @example
 * const guard = createCallGuard({ store: createDynamoGuardStore({ client, tableName }), logger });
 * const worker = createWorker({ ...deps, guard });
 */
export function createCallGuard(options: CallGuardOptions): CallGuard {
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const counters = options.counters ?? noCounters;
  const cacheMs = options.cacheMs ?? 1_000;
  const leaseMarginMs = options.leaseMarginMs ?? 30_000;
  const random = options.random ?? Math.random;
  const newId = options.newId ?? (() => randomUUID().slice(0, 13));
  const locals = new Map<string, Local>();

  function localOf(service: string): Local {
    let local = locals.get(service);
    if (!local) {
      local = {
        breaker: createSharedBreaker({ service, store, clock, cacheMs }),
        pace: FULL_PACE,
        nextTokenAt: Number.NEGATIVE_INFINITY,
        averageMs: undefined,
      };
      locals.set(service, local);
    }
    return local;
  }

  function refuse(service: string, retryAt: number, reason: string): Refusal {
    counters.increment(GUARD_METRICS.heldBack, { service, reason });
    return { admitted: false, retryAt: Math.ceil(retryAt), reason };
  }

  function announce(service: string, transition: Transition | undefined): void {
    if (!transition) return;
    counters.increment(GUARD_METRICS.transitions, { service, ...transition });
    const fields = { service, from: transition.from, to: transition.to };
    if (transition.to === "open") logger.warn("circuit opened", fields);
    else logger.info(transition.to === "closed" ? "circuit closed" : "circuit half-open", fields);
  }

  function storeTrouble(service: string, what: string, error: unknown): void {
    counters.increment(GUARD_METRICS.storeErrors, { service });
    logger.warn(`call guard: ${what} failed`, { service, error: MaestroError.from(error).message });
  }

  async function admit(service: ServiceDefinition, now: number): Promise<Admission | Refusal> {
    const { circuitBreaker: breaker, rateLimit: rate, maxConcurrency: cap } = service;
    if (!breaker && !rate && cap === undefined) return FREE;
    const name = service.name;
    const local = localOf(name);
    const leaseUntil = now + service.timeoutMs + leaseMarginMs;
    const interval = rate && intervalMs(rate, factorAt(local.pace, now));
    const tolerance = rate && toleranceMs(rate);
    const undo: (() => Promise<unknown>)[] = [];
    let reason: string = HOLD_REASONS.open;
    let trialId: string | undefined;
    let leaseId: string | undefined;

    const holdForToken = async (from: number) => {
      reason = HOLD_REASONS.rate;
      const slot = await store.joinLine(name, "bucket", { from, spacingMs: interval ?? 1 });
      return refuse(name, slot, reason);
    };
    const giveBack = () =>
      Promise.all(
        undo.splice(0).map((u) => u().catch((e) => storeTrouble(name, "giving back", e))),
      );

    try {
      // What the cache decides, without a write.
      let decision: BreakerDecision | undefined = { admitted: true };
      if (breaker) {
        decision = await local.breaker.check(now);
        if (decision && !decision.admitted) return refuse(name, decision.retryAt, reason);
      }
      if (rate && local.nextTokenAt > now) return await holdForToken(local.nextTokenAt);

      // The writes, each given back if a later limit holds the call.
      if (breaker && !decision) {
        const lease = { trialId: newId(), until: leaseUntil };
        const taken = await local.breaker.takeTrial(now, breaker, lease);
        announce(name, taken.transition);
        if (!taken.decision.admitted) return refuse(name, taken.decision.retryAt, reason);
        const id = taken.decision.trialId;
        if (id !== undefined) {
          trialId = id;
          undo.push(() => local.breaker.dropTrial(id));
        }
      }
      if (cap !== undefined) {
        reason = HOLD_REASONS.concurrency;
        const id = newId();
        const answer = await store.acquireLease(name, { now, max: cap, id, until: leaseUntil });
        if (!answer.acquired) {
          await giveBack();
          const average = answer.averageMs ?? local.averageMs;
          const slot = await store.joinLine(
            name,
            "inflight",
            slotEstimate(now, cap, average, answer.soonestExpiry),
          );
          return refuse(name, slot, reason);
        }
        leaseId = id;
        undo.push(() => store.releaseLease(name, id));
      }
      if (rate) {
        reason = HOLD_REASONS.rate;
        const answer = await store.takeToken(name, {
          now,
          intervalMs: interval ?? 1,
          toleranceMs: tolerance ?? 0,
        });
        local.pace = answer.pace;
        local.nextTokenAt = answer.nextAt;
        if (!answer.taken) {
          await giveBack();
          return await holdForToken(answer.nextAt);
        }
      }
    } catch (error) {
      await giveBack();
      if (error instanceof ContentionError) {
        return refuse(name, now + 1 + random() * CONTENTION_WAIT_MS, reason);
      }
      storeTrouble(name, "admission", error);
      const wait = UNAVAILABLE_WAIT_MS * (1 + random());
      return refuse(name, now + wait, HOLD_REASONS.unavailable);
    }

    const admittedAt = clock.now();
    let finished = false;
    return {
      admitted: true,
      async done(outcome) {
        if (finished) return;
        finished = true;
        const ended = clock.now();
        const settle = (what: string, work: () => Promise<unknown>) =>
          work().catch((error) => storeTrouble(name, what, error));
        const pushedBack = outcome.error?.code === "resource_exhausted";
        if (leaseId !== undefined)
          local.averageMs = smoothAverage(local.averageMs, ended - admittedAt);
        await Promise.all([
          breaker &&
            settle("recording an outcome", async () =>
              announce(name, await local.breaker.learn(outcome, trialId, breaker)),
            ),
          leaseId !== undefined &&
            settle("releasing a lease", () =>
              store.releaseLease(name, leaseId as string, local.averageMs),
            ),
          rate &&
            pushedBack &&
            settle("slowing down", () => slowDown(service, local, outcome.error, ended)),
        ]);
      },
    };
  }

  /** The service said "too many": every worker slows down, and waits out its Retry-After. */
  async function slowDown(
    service: ServiceDefinition,
    local: Local,
    error: ErrorInfo | undefined,
    now: number,
  ): Promise<void> {
    const rate = service.rateLimit;
    if (!rate) return;
    counters.increment(GUARD_METRICS.pushback, { service: service.name });
    const until = error?.retryAfterMs === undefined ? undefined : now + error.retryAfterMs;
    // This process slows down at once; the others learn it from their next token.
    if (now - local.pace.throttledAt >= THROTTLE_DEBOUNCE_MS)
      local.pace = slowedPace(local.pace, now);
    if (until !== undefined) local.nextTokenAt = Math.max(local.nextTokenAt, until);
    const lowered = await store.slowDown(service.name, {
      now,
      debounceMs: THROTTLE_DEBOUNCE_MS,
      ...(until !== undefined && { until }),
    });
    if (lowered) {
      logger.info("service pushed back: rate lowered", {
        service: service.name,
        ...(until !== undefined && { until: new Date(until).toISOString() }),
      });
    }
  }

  return { admit };
}
