/**
 * End to end on the local runtime: a service that fails for a while and then recovers. Runs
 * wait behind the open breaker instead of burning their attempts, then succeed; none is
 * compensated because of the outage, since the wait fits in their deadline.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryGuardStore } from "../../src/adapters/memory/memory-guard-store.js";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import {
  createCallGuard,
  createMemoryCounters,
  GUARD_METRICS,
} from "../../src/resilience/index.js";
import { createLocalRuntime, type LocalRuntime } from "../../src/runtime/local-runtime.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { createFakeServices, failure } from "../helpers/fake-services.js";
import { recordingLog } from "../helpers/recording-log.js";
import { workflowFrom } from "../helpers/workflows.js";

let runtime: LocalRuntime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

const OUTAGE_MS = 400;

describe("a service outage behind a circuit breaker", () => {
  it("makes runs wait, then succeed, with nothing compensated", async () => {
    const workflow = workflowFrom(`
name: outage
version: "1"
timeout: 1m
services:
  ledger: { type: http, endpoint: "http://ledger" }
  payments:
    type: http
    endpoint: "http://payments"
    retry: { max_attempts: 5, initial_interval: 20ms, max_interval: 50ms }
    circuit_breaker: { failure_threshold: 3, open_duration: 150ms, half_open_calls: 1 }
steps:
  - id: reserve
    service: ledger
    method: POST /reserve
    compensate: { method: POST /release }
  - id: charge
    service: payments
    method: POST /charge
`);
    const services = createFakeServices();
    const log = recordingLog(createMemorySagaLog());
    let outageEnds = Number.POSITIVE_INFINITY;
    const chargeTimes: number[] = [];
    services.on("POST /charge", async () => {
      chargeTimes.push(Date.now());
      if (outageEnds === Number.POSITIVE_INFINITY) outageEnds = Date.now() + OUTAGE_MS;
      return Date.now() < outageEnds ? failure("unavailable", true) : { ok: true, output: {} };
    });
    const counters = createMemoryCounters();
    runtime = createLocalRuntime({
      log,
      queue: createMemoryTaskQueue(),
      caller: services,
      workflows: staticWorkflows([workflow]),
      concurrency: 8,
      guard: createCallGuard({ store: createMemoryGuardStore(), counters }),
    });
    runtime.start();

    const runs = await Promise.all(
      Array.from({ length: 20 }, () => runtime?.startRun({ workflow, input: {} })),
    );
    const finals = await Promise.all(
      runs.map((r) => runtime?.waitForRun(r?.runId ?? "", { timeoutMs: 15_000 })),
    );

    expect(finals.map((f) => f?.status)).toEqual(Array(20).fill("succeeded"));
    const histories = runs.map((r) => log.history(r?.runId ?? ""));
    const events = histories.flat();
    expect(events.filter((e) => e.type.startsWith("compensation"))).toEqual([]);
    expect(services.callsTo("POST /release")).toHaveLength(0);
    // The runs waited behind the breaker, and said why.
    const deferred = events.filter((e) => e.type === "step_deferred");
    expect(deferred.length).toBeGreaterThan(0);
    expect(new Set(deferred.map((e) => (e as { reason: string }).reason))).toEqual(
      new Set(["circuit open"]),
    );
    expect(
      counters.value(GUARD_METRICS.transitions, {
        service: "payments",
        from: "closed",
        to: "open",
      }),
    ).toBe(1);
    // During the outage the service got the calls that opened the breaker (some were in
    // flight at once) and one trial per open period, not 20 runs × 5 attempts.
    const duringOutage = chargeTimes.filter((t) => t < outageEnds).length;
    const openPeriods = Math.ceil(OUTAGE_MS / 150) + 1;
    expect(duringOutage).toBeLessThanOrEqual(3 + 8 + openPeriods);
  });
});
