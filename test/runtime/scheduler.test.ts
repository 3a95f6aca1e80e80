import { describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { silentLogger } from "../../src/ports/logger.js";
import { createScheduler } from "../../src/runtime/scheduler.js";
import { createFakeClock } from "../helpers/fake-clock.js";
import { workflowFrom } from "../helpers/workflows.js";

const workflow = workflowFrom(`
name: nightly
version: "1"
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - { id: report, service: svc, method: POST /report, input: { day: "{{ .input.kind }}" } }
triggers:
  - schedule: "rate(5 minutes)"
    input: { kind: "rate" }
  - schedule: "0 2 * * *"
    input: { kind: "cron" }
`);

describe("local scheduler", () => {
  it("starts one run per due occurrence, with the trigger's input, and never twice", async () => {
    const clock = createFakeClock(Date.UTC(2026, 0, 1, 1, 58));
    let ids = 0;
    const log = createMemorySagaLog({ clock });
    const deps = {
      log,
      queue: createMemoryTaskQueue({ clock }),
      clock,
      logger: silentLogger,
      newId: () => `run-${++ids}`,
    };
    const scheduler = createScheduler(deps, [workflow]);
    expect(await scheduler.tick()).toEqual([]);
    clock.advance(60_000); // 01:59: nothing due yet
    expect(await scheduler.tick()).toEqual([]);
    clock.advance(60_000); // 02:00: the cron fires, and the rate (aligned to the epoch)
    expect(await scheduler.tick()).toHaveLength(2);
    clock.advance(16 * 60_000); // 02:16: rate occurrences at 02:05, 02:10, 02:15
    const started = await scheduler.tick();
    expect(started).toHaveLength(3);
    // A second scheduler that started earlier (a restart, or two processes) reaches the same
    // occurrences and starts none of them again.
    clock.set(Date.UTC(2026, 0, 1, 1, 59));
    const again = createScheduler(deps, [workflow]);
    clock.set(Date.UTC(2026, 0, 1, 2, 16));
    expect(await again.tick()).toEqual([]);
    const runs = (await log.list({ limit: 100 })).runs;
    expect(runs).toHaveLength(5);
    const inputs = await Promise.all(runs.map(async (r) => (await log.load(r.runId))?.events[0]));
    expect(inputs.map((e) => (e as { input: { kind: string } }).input.kind).sort()).toEqual([
      "cron",
      "rate",
      "rate",
      "rate",
      "rate",
    ]);
  });
});
