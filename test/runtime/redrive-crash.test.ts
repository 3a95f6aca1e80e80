/**
 * Guarantee 5 for redrives: a process that dies between recording a redrive and sending
 * the tasks it calls for leaves a run that the sweeper picks up and finishes.
 */
import { describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { FINAL_STATUSES } from "../../src/engine/events.js";
import { fold, type RunState } from "../../src/engine/state.js";
import { silentLogger } from "../../src/ports/logger.js";
import type { TaskQueue } from "../../src/ports/task-queue.js";
import { redriveRun } from "../../src/runtime/run-control.js";
import { startRun } from "../../src/runtime/start-run.js";
import { sweep } from "../../src/runtime/sweeper.js";
import { createWorker } from "../../src/runtime/worker.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { createFakeClock } from "../helpers/fake-clock.js";
import { createFakeServices, failure } from "../helpers/fake-services.js";
import { recordingLog } from "../helpers/recording-log.js";
import { workflowFrom } from "../helpers/workflows.js";

const v1 = workflowFrom(`
name: pay
version: "1.0.0"
services: { svc: { type: http, endpoint: "http://svc", retry: { max_attempts: 1 } } }
steps:
  - { id: reserve, service: svc, method: POST /reserve, output: reservation }
  - { id: charge, service: svc, method: POST /charge }
`);
const v2 = workflowFrom(`
name: pay
version: "1.1.0"
services: { svc: { type: http, endpoint: "http://svc", retry: { max_attempts: 1 } } }
steps:
  - { id: reserve, service: svc, method: POST /reserve, output: reservation }
  - { id: charge, service: svc, method: POST /charge }
  - { id: receipt, service: svc, method: POST /receipt }
`);

function setup() {
  const clock = createFakeClock();
  const services = createFakeServices();
  let healthy = false;
  services.on("POST /charge", () =>
    healthy ? { ok: true, output: {} } : failure("unavailable", true),
  );
  const log = recordingLog(createMemorySagaLog({ clock }));
  const inner = createMemoryTaskQueue({ clock });
  let sendsToLose = 0;
  // A process that dies right after its append: the sends it would have made never happen.
  const queue: TaskQueue = {
    ...inner,
    async send(tasks) {
      if (sendsToLose > 0) {
        sendsToLose--;
        throw new Error("process died before sending");
      }
      return inner.send(tasks);
    },
  };
  const workflows = staticWorkflows([v1, v2]);
  const worker = createWorker({
    log,
    queue,
    caller: services,
    workflows,
    clock,
    logger: silentLogger,
  });
  const deps = { log, queue, workflows, clock, logger: silentLogger };

  async function state(runId: string): Promise<RunState> {
    const loaded = await log.load(runId);
    const s = loaded && fold(loaded.snapshot, loaded.events);
    if (!s) throw new Error("no run");
    return s;
  }

  /** Delivers tasks until the run is final and the queue is drained, sweeping when it is idle. */
  async function drive(runId: string, maxRounds = 500) {
    for (let round = 0; round < maxRounds; round++) {
      const batch = await inner.receive({ max: 10, waitMs: 0, visibilityMs: 1_000 });
      if (batch.length === 0) {
        if (FINAL_STATUSES.has((await state(runId)).status) && inner.size() === 0) return;
        await sweep(deps, { stallMs: 5_000 });
        clock.advance(1_000);
        continue;
      }
      for (const message of batch) {
        await worker.handle(message.task);
        await inner.ack(message.receipt);
      }
    }
    throw new Error(`run did not settle: ${(await state(runId)).status}`);
  }

  return {
    clock,
    services,
    log,
    inner,
    deps,
    state,
    drive,
    heal: () => {
      healthy = true;
    },
    loseNextSend: () => {
      sendsToLose = 1;
    },
  };
}

describe("a crash between recording a redrive and sending its tasks", () => {
  it.each([
    ["on the same version", undefined, ["POST /reserve", "POST /charge", "POST /charge"]],
    [
      "onto a newer version",
      "1.1.0",
      ["POST /reserve", "POST /charge", "POST /charge", "POST /receipt"],
    ],
  ])("is recovered by the sweeper (%s)", async (_name, version, expectedCalls) => {
    const t = setup();
    const { runId } = await startRun(
      { log: t.log, queue: t.inner, clock: t.clock, newId: () => "run-1" },
      { workflow: v1, input: {} },
    );
    await t.drive(runId);
    expect((await t.state(runId)).status).toBe("failed");

    t.heal();
    t.loseNextSend();
    await expect(
      redriveRun(t.deps, runId, version === undefined ? {} : { version }),
    ).rejects.toThrow(/process died/);
    // The redrive is recorded and nothing was queued for it.
    const recorded = await t.state(runId);
    expect(recorded).toMatchObject({ status: "running", version: version ?? "1.0.0" });
    expect(t.inner.size()).toBe(0);
    // A retried request finds the redrive already made, rather than making a second one.
    await expect(redriveRun(t.deps, runId)).rejects.toThrow(/is running/);

    await t.drive(runId);
    expect((await t.state(runId)).status).toBe("succeeded");
    expect(t.services.calls.map((c) => c.method)).toEqual(expectedCalls);
    expect(t.services.callsTo("POST /charge").map((c) => [c.idempotencyKey, c.attempt])).toEqual([
      ["run-1/charge", 1],
      ["run-1/charge", 2],
    ]);
    expect(t.log.history(runId).filter((e) => e.type === "run_redriven")).toHaveLength(1);
  });
});
