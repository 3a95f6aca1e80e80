import { afterEach, describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { createLocalRuntime, type LocalRuntime } from "../../src/runtime/local-runtime.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import type { Workflow } from "../../src/workflow/model.js";
import { createFakeServices } from "../helpers/fake-services.js";
import { recordingLog } from "../helpers/recording-log.js";
import { workflowFrom } from "../helpers/workflows.js";

let runtime: LocalRuntime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

function setup(workflow: Workflow, options: { concurrency?: number; fastPathSteps?: number } = {}) {
  const services = createFakeServices();
  const log = recordingLog(createMemorySagaLog());
  const queue = createMemoryTaskQueue();
  runtime = createLocalRuntime({
    log,
    queue,
    caller: services,
    workflows: staticWorkflows([workflow]),
    concurrency: options.concurrency ?? 4,
    ...(options.fastPathSteps !== undefined && { fastPathSteps: options.fastPathSteps }),
  });
  runtime.start();
  return { services, log, queue, runtime };
}

function fanOut(branches: number): Workflow {
  const parallel = Array.from(
    { length: branches },
    (_, i) =>
      `      - id: b${i}\n        service: svc\n        method: POST /branch\n        input: { i: ${i} }`,
  ).join("\n");
  return workflowFrom(`
name: fan_out
version: "1"
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - id: fan
    parallel:
${parallel}
  - id: join
    service: svc
    method: POST /join
`);
}

describe("local runtime", () => {
  it("fires a join once when 100 branches finish at the same time", async () => {
    const { services, log, runtime } = setup(fanOut(100), { concurrency: 16 });
    // Every branch answers at the same instant, so their checkpoints race.
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    services.on("POST /branch", async () => {
      await gate;
      return { ok: true, output: {} };
    });
    const { runId } = await runtime.startRun({ workflow: fanOut(100), input: {} });
    await new Promise((r) => setTimeout(r, 100));
    release();
    const state = await runtime.waitForRun(runId, { timeoutMs: 20_000 });
    expect(state.status).toBe("succeeded");
    expect(services.callsTo("POST /join")).toHaveLength(1);
    const recorded = log.history(runId).filter((e) => e.type === "step_succeeded");
    expect(recorded).toHaveLength(101);
    expect(new Set(recorded.map((e) => (e as { stepId: string }).stepId)).size).toBe(101);
  });

  it("runs a sequential workflow through the fast path without a queue hop per step", async () => {
    const steps = Array.from(
      { length: 20 },
      (_, i) => `  - id: s${i}\n    service: svc\n    method: POST /s`,
    ).join("\n");
    const workflow = workflowFrom(
      `name: long\nversion: "1"\nservices: { svc: { type: http, endpoint: "http://svc" } }\nsteps:\n${steps}\n`,
    );
    const { services, queue, runtime } = setup(workflow, { fastPathSteps: 100 });
    const sent: number[] = [];
    const send = queue.send.bind(queue);
    queue.send = async (tasks) => {
      sent.push(tasks.length);
      return send(tasks);
    };
    const { runId } = await runtime.startRun({ workflow, input: {} });
    const state = await runtime.waitForRun(runId);
    expect(state.status).toBe("succeeded");
    expect(services.calls).toHaveLength(20);
    // The first task comes from the start; every later step ran inline.
    expect(sent).toEqual([1]);
  });

  it("returns the first run for a repeated idempotency key", async () => {
    const workflow = fanOut(1);
    const { runtime } = setup(workflow);
    const first = await runtime.startRun({ workflow, input: {}, idempotencyKey: "k-1" });
    const again = await runtime.startRun({
      workflow,
      input: { other: true },
      idempotencyKey: "k-1",
    });
    expect(again).toEqual({ runId: first.runId, created: false });
    expect(first.created).toBe(true);
  });
});

describe("operator actions", () => {
  const saga = workflowFrom(`
name: saga
version: "1"
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - id: book
    service: svc
    method: POST /book
    output: booking
    compensate: { method: "DELETE /book/{{ .booking.id }}", retry: { max_attempts: 2, initial_interval: 10ms } }
  - id: wait_approval
    service: svc
    method: POST /slow
  - id: finish
    service: svc
    method: POST /finish
`);

  it("cancels a running run: the step in flight finishes, completed steps are undone", async () => {
    const { services, runtime } = setup(saga);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    services.on("POST /slow", async () => {
      await gate;
      return { ok: true, output: {} };
    });
    const { runId } = await runtime.startRun({ workflow: saga, input: {} });
    while (services.callsTo("POST /slow").length === 0) await new Promise((r) => setTimeout(r, 5));
    const state = await runtime.cancelRun(runId, "customer asked");
    expect(state.status).toBe("compensating");
    release();
    const final = await runtime.waitForRun(runId);
    expect(final.status).toBe("cancelled");
    expect(services.callsTo("POST /finish")).toHaveLength(0);
    expect([...services.effects.keys()].filter((k) => k.endsWith("/compensate")).sort()).toEqual([
      `${runId}/book/compensate`,
    ]);
    await expect(runtime.cancelRun(runId)).rejects.toThrow(/already ended cancelled/);
  });

  it("parks a run whose undo keeps failing and finishes it after a redrive", async () => {
    const { services, runtime } = setup(saga);
    services.on("POST /slow", () => ({
      ok: false,
      error: { code: "invalid_argument", message: "no", retryable: false },
    }));
    let undoWorks = false;
    services.on("POST /book", () => ({ ok: true, output: { id: "x" } }));
    services.on("DELETE /book/x", () =>
      undoWorks
        ? { ok: true, output: {} }
        : { ok: false, error: { code: "unavailable", message: "down", retryable: true } },
    );
    const { runId } = await runtime.startRun({ workflow: saga, input: {} });
    const parked = await runtime.waitForRun(runId);
    expect(parked.status).toBe("compensation_failed");
    expect(parked.steps.book?.compensation).toMatchObject({ status: "failed", attempts: 2 });
    undoWorks = true;
    await runtime.redriveRun(runId);
    const final = await runtime.waitForRun(runId);
    expect(final.status).toBe("compensated");
  });
});

describe("backpressure from a call guard", () => {
  it("holds a call back without using an attempt, records why, and runs it later", async () => {
    const workflow = workflowFrom(`
name: guarded
version: "1"
services: { svc: { type: http, endpoint: "http://svc", retry: { max_attempts: 1 } } }
steps:
  - { id: only, service: svc, method: POST /x }
`);
    const services = createFakeServices();
    const log = recordingLog(createMemorySagaLog());
    const queue = createMemoryTaskQueue();
    let refusals = 2;
    runtime = createLocalRuntime({
      log,
      queue,
      caller: services,
      workflows: staticWorkflows([workflow]),
      guard: {
        admit: async (_service, now) =>
          refusals-- > 0
            ? { admitted: false, retryAt: now + 20, reason: "circuit open" }
            : { admitted: true, done: async () => {} },
      },
    });
    runtime.start();
    const { runId } = await runtime.startRun({ workflow, input: {} });
    const state = await runtime.waitForRun(runId);
    // max_attempts is 1: the two refusals did not use the only attempt.
    expect(state.status).toBe("succeeded");
    expect(state.steps.only?.attempts).toBe(1);
    const deferred = log.history(runId).filter((e) => e.type === "step_deferred");
    expect(deferred).toMatchObject([
      { stepId: "only", attempt: 1, reason: "circuit open" },
      { stepId: "only", attempt: 1, reason: "circuit open" },
    ]);
    expect(services.calls).toHaveLength(1);
  });
});
