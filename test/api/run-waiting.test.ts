/**
 * A run held back by its workflow's concurrency limit, as the API shows it: accepted (201,
 * its id), then `waitingFor: "concurrency_slot"` with the reason on the step; cancelled while
 * it waits, it ends `cancelled` with nothing called. Tasks are handed to a worker by hand, so
 * every step of the story happens in a known order.
 */
import { describe, expect, it } from "vitest";
import { createMemoryGuardStore } from "../../src/adapters/memory/memory-guard-store.js";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { createApi } from "../../src/api/app.js";
import { silentLogger } from "../../src/ports/logger.js";
import { createRunAdmission, RUN_SLOT_REASON } from "../../src/runtime/run-admission.js";
import { createWorker } from "../../src/runtime/worker.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { createFakeClock } from "../helpers/fake-clock.js";
import { createFakeServices } from "../helpers/fake-services.js";
import { workflowFrom } from "../helpers/workflows.js";

const workflow = workflowFrom(`
name: greet
version: "1.0.0"
concurrency: { max: 1 }
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - { id: hello, service: svc, method: POST /hello }
`);

function setup() {
  const clock = createFakeClock();
  const log = createMemorySagaLog();
  const queue = createMemoryTaskQueue({ clock });
  const workflows = staticWorkflows([workflow]);
  const slots = createMemoryGuardStore();
  const admission = createRunAdmission({ store: slots, clock, random: () => 0 });
  const services = createFakeServices();
  const deps = { log, queue, workflows, clock, logger: silentLogger };
  const app = createApi({ ...deps, newId: () => crypto.randomUUID(), admission });
  const worker = createWorker({ ...deps, caller: services, admission });
  /** Hands every task due now to the worker. */
  async function drain() {
    for (;;) {
      const got = await queue.receive({ max: 10, waitMs: 0, visibilityMs: 60_000 });
      if (got.length === 0) return;
      for (const t of got) {
        await worker.handle(t.task);
        await queue.ack(t.receipt);
      }
    }
  }
  return { app, slots, services, drain, clock };
}

describe("a run waiting for a concurrency slot, through the API", () => {
  it("is accepted, says it waits and why, and cancels without calling anything", async () => {
    const { app, slots, services, drain, clock } = setup();
    // Another run of the workflow holds the only slot.
    const holder = { now: clock.now(), max: 1, id: "holder", until: clock.now() + 3_600_000 };
    expect(await slots.takeRunSlot("greet", holder)).toEqual({ acquired: true });

    const started = await app.request("/v1/runs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ workflow: "greet", input: {} }),
    });
    expect(started.status).toBe(201);
    const { runId } = (await started.json()) as { runId: string };
    await drain();

    const run = (await (await app.request(`/v1/runs/${runId}`)).json()) as Record<string, unknown>;
    expect(run).toMatchObject({ status: "running", waitingFor: "concurrency_slot" });
    expect(run.steps).toMatchObject([
      { step: "hello", status: "waiting", attempts: 0, deferredReason: RUN_SLOT_REASON },
    ]);

    const cancelled = await app.request(`/v1/runs/${runId}/cancel`, { method: "POST" });
    expect(cancelled.status).toBeLessThan(300);
    clock.advance(60_000);
    await drain();
    const after = (await (await app.request(`/v1/runs/${runId}`)).json()) as Record<
      string,
      unknown
    >;
    expect(after.status).toBe("cancelled");
    expect(after.waitingFor).toBeUndefined();
    expect(services.calls).toEqual([]);
    expect(await slots.readRunSlots("greet")).toEqual({ holder: holder.until });
  });
});
