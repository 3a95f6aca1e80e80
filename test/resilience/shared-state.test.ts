/**
 * Shared-state correctness on the real store: many workers, each with its own guard (its own
 * cache and DynamoDB client, as separate Lambda instances would have), on one table.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { createDynamoGuardStore, createSagaTable } from "../../src/adapters/dynamodb/index.js";
import type { ErrorInfo } from "../../src/errors.js";
import type { CallGuard } from "../../src/ports/call-guard.js";
import type { Clock } from "../../src/ports/clock.js";
import { HALF_OPEN_RECHECK_MS } from "../../src/resilience/breaker.js";
import {
  createCallGuard,
  createMemoryCounters,
  GUARD_METRICS,
} from "../../src/resilience/index.js";
import type { ServiceDefinition } from "../../src/workflow/model.js";
import { dynamodbEndpoint, localDynamoClient, uniqueName } from "../emulators/endpoints.js";
import { createFakeClock } from "../helpers/fake-clock.js";
import { serviceWith } from "./helpers.js";

const endpoint = dynamodbEndpoint();
const unavailable: ErrorInfo = { code: "unavailable", message: "down", retryable: true };

describe.skipIf(endpoint === undefined)("guard state shared through DynamoDB Local", () => {
  let tableName: string;
  const counters = createMemoryCounters();

  beforeAll(async () => {
    tableName = uniqueName("guard-shared");
    await createSagaTable(localDynamoClient(endpoint ?? ""), tableName);
  });

  /** `n` guards as `n` separate processes would have them. */
  function workers(n: number, clock: Clock): CallGuard[] {
    return Array.from({ length: n }, () =>
      createCallGuard({
        store: createDynamoGuardStore({ client: localDynamoClient(endpoint ?? ""), tableName }),
        clock,
        counters,
      }),
    );
  }

  /** A service the test controls, that counts the calls it gets and how many are in flight at once. */
  function testService(behaviour: { fail: boolean; ms: number }) {
    let inFlight = 0;
    const stats = { calls: 0, maxInFlight: 0, times: [] as number[] };
    return {
      stats,
      behaviour,
      async call(): Promise<{ ok: boolean; error?: ErrorInfo }> {
        stats.calls++;
        stats.times.push(Date.now());
        stats.maxInFlight = Math.max(stats.maxInFlight, ++inFlight);
        await sleep(behaviour.ms);
        inFlight--;
        return behaviour.fail ? { ok: false, error: unavailable } : { ok: true };
      },
    };
  }

  const transitions = (service: string) =>
    Object.fromEntries(
      counters
        .entries()
        .filter((e) => e.name === GUARD_METRICS.transitions && e.labels.service === service)
        .map((e) => [`${e.labels.from}→${e.labels.to}`, e.value]),
    );

  it("opens the breaker once, and lets only half_open_calls trials through across all workers", async () => {
    const clock = createFakeClock();
    const name = uniqueName("flaky");
    const service: ServiceDefinition = serviceWith(
      "circuit_breaker: { failure_threshold: 3, open_duration: 10s, half_open_calls: 2 }",
      name.replace(/-/g, "_"),
    );
    const guards = workers(12, clock);
    const target = testService({ fail: true, ms: 3 });

    /** Each worker calls until it is held back (at most `tries` times). */
    const hammer = (tries: number) =>
      Promise.all(
        guards.map(async (guard) => {
          for (let i = 0; i < tries; i++) {
            const admission = await guard.admit(service, clock.now());
            if (!admission.admitted) continue;
            await admission.done(await target.call());
          }
        }),
      );

    await hammer(10);
    // Three failures open it; a worker that learned late made at most one call more.
    expect(target.stats.calls).toBeGreaterThanOrEqual(3);
    expect(target.stats.calls).toBeLessThanOrEqual(3 + guards.length);
    expect(transitions(service.name)).toEqual({ "closed→open": 1 });

    // Open duration over: every worker tries, slow trials keep the breaker half-open meanwhile.
    clock.advance(10_000);
    target.stats.calls = 0;
    target.behaviour.ms = 60;
    await hammer(10);
    expect(target.stats.calls).toBe(2);
    expect(transitions(service.name)).toEqual({
      "closed→open": 1,
      "open→half_open": 1,
      "half_open→open": 1,
    });

    // Recovered: two successful trials close it, then everyone calls again.
    clock.advance(10_000);
    target.stats.calls = 0;
    target.behaviour.fail = false;
    target.behaviour.ms = 3;
    await hammer(3);
    expect(transitions(service.name)).toEqual({
      "closed→open": 1,
      "open→half_open": 2,
      "half_open→open": 1,
      "half_open→closed": 1,
    });
    // Workers held back while the trials ran come back when told to (HALF_OPEN_RECHECK_MS),
    // by when their caches have expired: every one of them is let through.
    clock.advance(HALF_OPEN_RECHECK_MS);
    const admitted = await Promise.all(guards.map((g) => g.admit(service, clock.now())));
    expect(admitted.filter((a) => !a.admitted)).toEqual([]);
  });

  it("holds N workers sharing a bucket of rate R to at most R·t + burst calls", async () => {
    const rate = 20;
    const burst = 5;
    const name = uniqueName("limited").replace(/-/g, "_");
    const service = serviceWith(`rate_limit: { rate: "${rate}/s", burst: ${burst} }`, name);
    const clock: Clock = { now: () => Date.now() };
    const guards = workers(16, clock);
    const target = testService({ fail: false, ms: 1 });
    const start = Date.now();
    const until = start + 2_000;
    await Promise.all(
      guards.map(async (guard) => {
        while (Date.now() < until) {
          const admission = await guard.admit(service, clock.now());
          if (admission.admitted) {
            await admission.done(await target.call());
          } else {
            await sleep(Math.max(1, Math.min(admission.retryAt, until) - Date.now()));
          }
        }
      }),
    );
    const seconds = (Date.now() - start) / 1000;
    expect(target.stats.calls).toBeLessThanOrEqual(rate * seconds + burst);
    // And the limit is a rate, not a stop: most of it is used.
    expect(target.stats.calls).toBeGreaterThanOrEqual(0.7 * rate * seconds);
    // No one-second stretch holds more than a second's tokens and the burst.
    const times = target.stats.times;
    for (let i = 0; i < times.length; i++) {
      const t = times[i] as number;
      const within = times.filter((x) => x >= t && x < t + 1_000).length;
      expect(within).toBeLessThanOrEqual(rate + burst + 1);
    }
  });

  it("keeps calls in flight across workers at or under max_concurrency", async () => {
    const name = uniqueName("capped").replace(/-/g, "_");
    const service = serviceWith("max_concurrency: 3", name);
    const clock: Clock = { now: () => Date.now() };
    const guards = workers(10, clock);
    const target = testService({ fail: false, ms: 40 });
    const until = Date.now() + 1_000;
    await Promise.all(
      guards.map(async (guard) => {
        while (Date.now() < until) {
          const admission = await guard.admit(service, clock.now());
          if (admission.admitted) await admission.done(await target.call());
          else await sleep(Math.max(1, Math.min(admission.retryAt, until) - Date.now()));
        }
      }),
    );
    expect(target.stats.maxInFlight).toBeLessThanOrEqual(3);
    // The cap is a cap, not a stop (a loaded machine may not always fill all three slots).
    expect(target.stats.maxInFlight).toBeGreaterThanOrEqual(2);
    expect(target.stats.calls).toBeGreaterThan(10);
  });
});
