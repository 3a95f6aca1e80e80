import { describe, expect, it } from "vitest";
import { createMemoryGuardStore } from "../../src/adapters/memory/memory-guard-store.js";
import type { ErrorInfo } from "../../src/errors.js";
import type { Admission, CallGuard, Refusal } from "../../src/ports/call-guard.js";
import {
  ContentionError,
  createCallGuard,
  createMemoryCounters,
  GUARD_METRICS,
  type GuardStore,
} from "../../src/resilience/index.js";
import type { ServiceDefinition } from "../../src/workflow/model.js";
import { createFakeClock } from "../helpers/fake-clock.js";
import { captureLogger, countingStore, serviceWith } from "./helpers.js";

const unavailable: ErrorInfo = { code: "unavailable", message: "down", retryable: true };

function setup(options: { store?: GuardStore; cacheMs?: number } = {}) {
  const clock = createFakeClock();
  const store = countingStore(options.store ?? createMemoryGuardStore());
  const counters = createMemoryCounters();
  const logger = captureLogger();
  const guard = createCallGuard({
    store,
    clock,
    counters,
    logger,
    random: () => 0,
    ...(options.cacheMs !== undefined && { cacheMs: options.cacheMs }),
  });
  return { clock, store, counters, logger, guard };
}

async function admitted(
  guard: CallGuard,
  service: ServiceDefinition,
  now: number,
): Promise<Admission> {
  const a = await guard.admit(service, now);
  if (!a.admitted) throw new Error(`refused: ${a.reason}`);
  return a;
}

async function refused(
  guard: CallGuard,
  service: ServiceDefinition,
  now: number,
): Promise<Refusal> {
  const a = await guard.admit(service, now);
  if (a.admitted) throw new Error("admitted");
  return a;
}

/** One call through the guard that ends with `outcome`. */
async function call(guard: CallGuard, service: ServiceDefinition, now: number, error?: ErrorInfo) {
  const a = await admitted(guard, service, now);
  await a.done(error ? { ok: false, error } : { ok: true });
}

describe("call guard", () => {
  it("costs a service without breaker, rate limit or cap no store request", async () => {
    const { guard, store, clock } = setup();
    const plain = serviceWith("");
    for (let i = 0; i < 50; i++)
      await call(guard, plain, clock.now(), i % 2 ? unavailable : undefined);
    expect(store.total()).toBe(0);
  });

  it("checks a healthy breaker from its cache: one read per cacheMs, no writes", async () => {
    const { guard, store, clock } = setup({ cacheMs: 1_000 });
    const service = serviceWith("circuit_breaker: { failure_threshold: 3 }");
    for (let i = 0; i < 300; i++) {
      await call(guard, service, clock.now());
      clock.advance(10);
    }
    // 3 s of calls: a read at 0, 1, 2 s, and nothing else.
    expect(store.requests).toEqual({ readBreaker: 3 });
  });

  it("goes closed → open → half-open → open → half-open → closed, logging and counting each change", async () => {
    const { guard, clock, counters, logger } = setup();
    const service = serviceWith(
      "circuit_breaker: { failure_threshold: 3, open_duration: 10s, half_open_calls: 1 }",
    );
    const t0 = clock.now();
    await call(guard, service, t0, unavailable);
    await call(guard, service, t0, unavailable);
    // A business error means the service answered: it does not count.
    await call(guard, service, t0, { code: "invalid_argument", message: "no", retryable: false });
    await call(guard, service, t0, unavailable);
    await call(guard, service, t0, unavailable);
    expect(await guard.admit(service, t0)).toMatchObject({ admitted: true });
    await call(guard, service, t0, unavailable);
    // Open: held back until the open duration has passed, without an attempt.
    expect(await refused(guard, service, t0 + 1)).toEqual({
      admitted: false,
      retryAt: t0 + 10_000,
      reason: "circuit open",
    });

    clock.set(t0 + 10_000);
    const trial = await admitted(guard, service, clock.now());
    const other = await refused(guard, service, clock.now());
    expect(other.reason).toBe("circuit open");
    expect(other.retryAt).toBeGreaterThan(clock.now());
    await trial.done({ ok: false, error: unavailable });
    expect((await refused(guard, service, clock.now())).retryAt).toBe(t0 + 20_000);

    clock.set(t0 + 20_000);
    await call(guard, service, clock.now());
    await call(guard, service, clock.now(), unavailable);
    expect(await guard.admit(service, clock.now())).toMatchObject({ admitted: true });

    const transitions = counters
      .entries()
      .filter((e) => e.name === GUARD_METRICS.transitions)
      .map((e) => [`${e.labels.from}→${e.labels.to}`, e.value]);
    expect(transitions).toEqual([
      ["closed→open", 1],
      ["open→half_open", 2],
      ["half_open→open", 1],
      ["half_open→closed", 1],
    ]);
    expect(logger.lines.map((l) => [l.level, l.message])).toEqual([
      ["warn", "circuit opened"],
      ["info", "circuit half-open"],
      ["warn", "circuit opened"],
      ["info", "circuit half-open"],
      ["info", "circuit closed"],
    ]);
    expect(counters.value(GUARD_METRICS.heldBack, { service: "svc", reason: "circuit open" })).toBe(
      3,
    );
  });

  it("shares the breaker between processes: another guard stops within its cache time", async () => {
    const shared = createMemoryGuardStore();
    const a = setup({ store: shared, cacheMs: 1_000 });
    const b = createCallGuard({ store: shared, clock: a.clock, cacheMs: 1_000 });
    const service = serviceWith("circuit_breaker: { failure_threshold: 2, open_duration: 30s }");
    const t0 = a.clock.now();
    await call(b, service, t0); // b caches "closed"
    await call(a.guard, service, t0, unavailable);
    await call(a.guard, service, t0, unavailable);
    // b's cache is still fresh: it lets a call through, whose failure teaches it the truth.
    const stale = await admitted(b, service, t0 + 500);
    await stale.done({ ok: false, error: unavailable });
    expect((await refused(b, service, t0 + 600)).reason).toBe("circuit open");
    // The straggler's failure did not count again: the breaker opened once.
    expect(
      a.counters.value(GUARD_METRICS.transitions, { service: "svc", from: "closed", to: "open" }),
    ).toBe(1);
  });

  it("opens on a failure rate, counting successes it batched instead of writing each one", async () => {
    const { guard, clock, store } = setup({ cacheMs: 1_000 });
    const service = serviceWith(
      "circuit_breaker: { failure_threshold: 100, failure_rate: 0.5, minimum_calls: 4, window: 60s }",
    );
    for (let i = 0; i < 20; i++) await call(guard, service, clock.now());
    expect(store.requests.writeBreaker).toBeUndefined();
    // The first failure carries the 20 successes with it: then k failures in 20 + k calls.
    for (let i = 0; i < 19; i++) await call(guard, service, clock.now(), unavailable);
    expect(await guard.admit(service, clock.now())).toMatchObject({ admitted: true });
    await call(guard, service, clock.now(), unavailable); // 20 of 40
    expect((await refused(guard, service, clock.now())).reason).toBe("circuit open");
  });

  it("writes the failures of calls that end together in one process once, not once each", async () => {
    const { guard, clock, store } = setup();
    const service = serviceWith("circuit_breaker: { failure_threshold: 10 }");
    const calls = await Promise.all(
      Array.from({ length: 10 }, () => admitted(guard, service, clock.now())),
    );
    store.reset();
    await Promise.all(calls.map((a) => a.done({ ok: false, error: unavailable })));
    // The first failure's write, then one for the nine that queued behind it.
    expect(store.requests).toEqual({ writeBreaker: 2 });
    // None was lost: ten consecutive failures opened it.
    expect((await refused(guard, service, clock.now())).reason).toBe("circuit open");
  });

  it("rate-limits: a burst passes, then calls wait for the next token", async () => {
    const { guard, clock } = setup();
    const service = serviceWith('rate_limit: { rate: "5/s", burst: 2 }');
    const t0 = clock.now();
    await call(guard, service, t0);
    await call(guard, service, t0);
    expect(await refused(guard, service, t0)).toEqual({
      admitted: false,
      retryAt: t0 + 200,
      reason: "rate limited",
    });
    // The next one in line comes back a token later still.
    expect((await refused(guard, service, t0)).retryAt).toBe(t0 + 400);
    await call(guard, service, t0 + 200);
  });

  it("slows down when the service pushes back, and waits out its Retry-After", async () => {
    const { guard, clock, counters, logger, store } = setup();
    const service = serviceWith('rate_limit: { rate: "10/s", burst: 10 }');
    const t0 = clock.now();
    const a = await admitted(guard, service, t0);
    await a.done({
      ok: false,
      error: { code: "resource_exhausted", message: "429", retryable: true, retryAfterMs: 3_000 },
    });
    expect(await refused(guard, service, t0 + 1_000)).toMatchObject({ reason: "rate limited" });
    const at = (await refused(guard, service, t0 + 2_000)).retryAt;
    expect(at).toBeGreaterThanOrEqual(t0 + 3_000);
    expect(counters.value(GUARD_METRICS.pushback, { service: "svc" })).toBe(1);
    // Another process learns it from the shared bucket on its next call.
    const other = createCallGuard({ store, clock });
    expect((await refused(other, service, t0 + 1_000)).retryAt).toBeGreaterThanOrEqual(t0 + 3_000);
    expect(logger.lines.map((l) => l.message)).toContain("service pushed back: rate lowered");
  });

  it("caps calls in flight; a slot frees when a call reports back or its lease runs out", async () => {
    const { guard, clock } = setup();
    const service = serviceWith("max_concurrency: 2"); // timeout 1s
    const t0 = clock.now();
    const first = await admitted(guard, service, t0);
    await admitted(guard, service, t0); // never reports back: its worker died
    const held = await refused(guard, service, t0);
    expect(held.reason).toBe("concurrency limit");
    expect(held.retryAt).toBeGreaterThan(t0);
    await first.done({ ok: true });
    await first.done({ ok: true }); // twice is once
    await admitted(guard, service, t0 + 1);
    expect((await refused(guard, service, t0 + 2)).reason).toBe("concurrency limit");
    // The dead worker's lease ends after the call's timeout (1 s) and the margin (30 s).
    clock.set(t0 + 31_000);
    await admitted(guard, service, clock.now());
  });

  it("gives back a half-open trial slot when the in-flight cap holds the call", async () => {
    const { guard, clock } = setup();
    const breaker =
      "circuit_breaker: { failure_threshold: 1, open_duration: 1s, half_open_calls: 1 }";
    const capped = serviceWith(`${breaker}\n    max_concurrency: 1`);
    // The same service as another workflow declares it, without a cap: it shares the breaker.
    const uncapped = serviceWith(breaker);
    const t0 = clock.now();
    await admitted(guard, capped, t0); // still in flight
    await call(guard, uncapped, t0, unavailable);
    clock.set(t0 + 1_000);
    expect((await refused(guard, capped, clock.now())).reason).toBe("concurrency limit");
    // The trial slot the refused call took was given back: the next call gets it.
    const trial = await admitted(guard, uncapped, clock.now());
    expect((await refused(guard, uncapped, clock.now())).reason).toBe("circuit open");
    await trial.done({ ok: true });
    expect(await guard.admit(uncapped, clock.now())).toMatchObject({ admitted: true });
  });

  it("asks an empty bucket first, taking no lease only to give it back", async () => {
    const { guard, clock, store } = setup();
    const service = serviceWith('rate_limit: { rate: "1/s", burst: 1 }\n    max_concurrency: 5');
    const t0 = clock.now();
    await call(guard, service, t0);
    store.reset();
    // The last token's answer said the next is a second away: only the line is asked.
    expect(await refused(guard, service, t0 + 10)).toEqual({
      admitted: false,
      retryAt: t0 + 1_000,
      reason: "rate limited",
    });
    expect(store.requests).toEqual({ joinLine: 1 });
  });

  it("gives the burst to workers asking at once, and the others distinct places in the line", async () => {
    const { guard, clock } = setup();
    const service = serviceWith('rate_limit: { rate: "10/s", burst: 10 }');
    const t0 = clock.now();
    const answers = await Promise.all(Array.from({ length: 30 }, () => guard.admit(service, t0)));
    expect(answers.filter((a) => a.admitted)).toHaveLength(10);
    const slots = answers
      .flatMap((a) => (a.admitted ? [] : [a.retryAt - t0]))
      .sort((a, b) => a - b);
    expect(slots).toEqual(Array.from({ length: 20 }, (_, i) => 100 * (i + 1)));
  });

  it("holds calls back briefly when the store fails, and never fails a call's report", async () => {
    const down = async () => {
      throw new Error("store down");
    };
    const t0 = Date.UTC(2026, 0, 1);
    const breaker = serviceWith("circuit_breaker: { failure_threshold: 1 }");
    const unreachable = setup({ store: { ...createMemoryGuardStore(), readBreaker: down } });
    expect(await refused(unreachable.guard, breaker, t0)).toEqual({
      admitted: false,
      retryAt: t0 + 1_000,
      reason: "guard unavailable",
    });
    expect(unreachable.counters.value(GUARD_METRICS.storeErrors, { service: "svc" })).toBe(1);
    // Reads work, writes fail: the call is made, its failure cannot be recorded.
    const readOnly = setup({ store: { ...createMemoryGuardStore(), writeBreaker: down } });
    const a = await admitted(readOnly.guard, breaker, t0);
    await expect(a.done({ ok: false, error: unavailable })).resolves.toBeUndefined();
    expect(readOnly.counters.value(GUARD_METRICS.storeErrors, { service: "svc" })).toBe(1);
    expect(readOnly.logger.lines).toMatchObject([
      {
        level: "warn",
        message: "call guard: recording an outcome failed",
        fields: { service: "svc" },
      },
    ]);
  });

  it("holds a call back for a moment, giving back its lease, when its writes keep losing races", async () => {
    const inner = countingStore(createMemoryGuardStore());
    const busy: GuardStore = {
      ...inner,
      takeToken: async () => {
        throw new ContentionError("the bucket of service svc", 6);
      },
    };
    const { guard, clock } = setup({ store: busy });
    const service = serviceWith('rate_limit: { rate: "5/s" }\n    max_concurrency: 1');
    const refusal = await refused(guard, service, clock.now());
    expect(refusal.reason).toBe("rate limited");
    expect(refusal.retryAt).toBeGreaterThan(clock.now());
    expect(inner.requests).toEqual({ acquireLease: 1, releaseLease: 1 });
  });
});
