/**
 * Run admission in the worker, task by task with a fake clock: the state it records, a
 * duplicate delivery, a worker that dies between ending a run and giving its slot back, and a
 * run that waits past its deadline.
 */
import { describe, expect, it } from "vitest";
import { createMemoryGuardStore } from "../../src/adapters/memory/memory-guard-store.js";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { generateSealingKey, parseSealingKeys } from "../../src/adapters/sealing/sealing-keys.js";
import { fold, type RunState } from "../../src/engine/state.js";
import { silentLogger } from "../../src/ports/logger.js";
import type { Task } from "../../src/ports/task-queue.js";
import { createRunAdmission, type RunAdmission } from "../../src/runtime/run-admission.js";
import { startRun } from "../../src/runtime/start-run.js";
import { createWorker } from "../../src/runtime/worker.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { createFakeClock } from "../helpers/fake-clock.js";
import { createFakeServices } from "../helpers/fake-services.js";
import { workflowFrom } from "../helpers/workflows.js";

const workflow = workflowFrom(`
name: limited
version: "1"
timeout: 1h
concurrency: { max: 1 }
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - { id: only, service: svc, method: POST /only }
`);

function setup(wrap: (a: RunAdmission) => RunAdmission = (a) => a) {
  const clock = createFakeClock();
  const log = createMemorySagaLog();
  const queue = createMemoryTaskQueue({ clock });
  const slots = createMemoryGuardStore();
  const admission = wrap(createRunAdmission({ store: slots, clock, random: () => 0 }));
  const services = createFakeServices();
  const deps = { log, queue, workflows: staticWorkflows([workflow]), clock, logger: silentLogger };
  const worker = createWorker({ ...deps, caller: services, admission });
  let n = 0;
  const start = () =>
    startRun({ log, queue, clock, newId: () => `run-${++n}` }, { workflow, input: {} });
  /** The tasks due now, taken off the queue. */
  const due = async (): Promise<Task[]> => {
    const got = await queue.receive({ max: 10, waitMs: 0, visibilityMs: 60_000 });
    await Promise.all(got.map((t) => queue.ack(t.receipt)));
    return got.map((t) => t.task);
  };
  const state = async (runId: string): Promise<RunState> => {
    const loaded = await log.load(runId);
    const folded = loaded && fold(loaded.snapshot, loaded.events);
    if (!folded) throw new Error(`no run ${runId}`);
    return folded;
  };
  return { clock, slots, services, worker, start, due, state };
}

describe("run admission in the worker", () => {
  it("records the admission once, and a duplicate delivery neither calls nor counts twice", async () => {
    const { slots, services, worker, start, due, state } = setup();
    const { runId } = await start();
    const [task] = await due();
    if (!task) throw new Error("no task");
    services.on("POST /only", async () => {
      // While the call is in flight, the run holds the only slot and says so.
      expect((await state(runId)).admission).toBe("admitted");
      expect(Object.keys(await slots.readRunSlots("limited"))).toEqual([runId]);
      return { ok: true, output: {} };
    });
    await worker.handle(task);
    await worker.handle(task); // delivered again
    expect(services.callsTo("POST /only")).toHaveLength(1);
    expect((await state(runId)).status).toBe("succeeded");
    expect(await slots.readRunSlots("limited")).toEqual({});
  });

  it("gives the slot back on redelivery when the worker died after ending the run", async () => {
    let failRelease = true;
    const { slots, worker, start, due, state } = setup((a) => ({
      ...a,
      async release(w, s) {
        if (failRelease) {
          failRelease = false;
          throw new Error("the worker died");
        }
        return a.release(w, s);
      },
    }));
    const { runId } = await start();
    const [task] = await due();
    if (!task) throw new Error("no task");
    await expect(worker.handle(task)).rejects.toThrow("the worker died");
    expect((await state(runId)).status).toBe("succeeded");
    expect(Object.keys(await slots.readRunSlots("limited"))).toEqual([runId]);
    await worker.handle(task, { redelivered: true });
    expect(await slots.readRunSlots("limited")).toEqual({});
  });

  it("waits without an attempt, then fails at its deadline with nothing called", async () => {
    const { clock, slots, services, worker, start, due, state } = setup();
    const holder = { now: clock.now(), max: 1, id: "holder", until: clock.now() + 86_400_000 };
    await slots.takeRunSlot("limited", holder);
    const { runId } = await start();
    for (let i = 0; i < 200 && !(await state(runId)).finishedAt; i++) {
      for (const task of await due()) await worker.handle(task);
      clock.advance(30_000);
    }
    const ended = await state(runId);
    expect(ended.status).toBe("failed");
    expect(ended.failure?.error.code).toBe("deadline_exceeded");
    expect(ended.steps.only?.attempts).toBe(0);
    expect(services.calls).toEqual([]);
    expect(Object.keys(await slots.readRunSlots("limited"))).toEqual(["holder"]);
  });
});

describe("per-key slots named by a digest", () => {
  const perCustomer = workflowFrom(`
name: per_customer
version: "1"
timeout: 1h
concurrency: { max: 1, key: "{{ .input.email }}" }
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - { id: only, service: svc, method: POST /only }
`);
  const clock = createFakeClock();
  const runOf = (runId: string, email: string) =>
    ({
      runId,
      workflow: "per_customer",
      concurrencyKey: email,
      createdAt: clock.now(),
      deadlineAt: clock.now() + 3_600_000,
    }) as RunState;

  it("never hands the store the key, and still limits each key on its own", async () => {
    const inner = createMemoryGuardStore();
    const names: string[] = [];
    const store = {
      ...inner,
      takeRunSlot: (slot: string, ask: Parameters<typeof inner.takeRunSlot>[1]) => {
        names.push(slot);
        return inner.takeRunSlot(slot, ask);
      },
    };
    const keys = parseSealingKeys(generateSealingKey(), "test");
    const admission = createRunAdmission({
      store,
      clock,
      random: () => 0,
      keyDigest: keys.digest,
    });
    const ada = "ada@example.com";
    expect(await admission.take(perCustomer, runOf("r1", ada))).toEqual({ admitted: true });
    expect((await admission.take(perCustomer, runOf("r2", ada))).admitted).toBe(false);
    expect(await admission.take(perCustomer, runOf("r3", "bob@example.com"))).toEqual({
      admitted: true,
    });
    await admission.release(perCustomer, runOf("r1", ada));
    expect(await admission.take(perCustomer, runOf("r2", ada))).toEqual({ admitted: true });

    expect(names.some((n) => n.includes("example.com"))).toBe(false);
    expect(new Set(names).size).toBe(2);
    expect(names[0]).toBe(`per_customer#${keys.digest(ada)}`);
  });
});
