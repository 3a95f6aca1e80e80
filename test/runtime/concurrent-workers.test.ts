import { describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { systemClock } from "../../src/ports/clock.js";
import { silentLogger } from "../../src/ports/logger.js";
import { startRun } from "../../src/runtime/start-run.js";
import { createWorker } from "../../src/runtime/worker.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { createFakeServices } from "../helpers/fake-services.js";
import { recordingLog } from "../helpers/recording-log.js";
import { workflowFrom } from "../helpers/workflows.js";

const workflow = workflowFrom(`
name: race
version: "1"
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - id: charge
    service: svc
    method: POST /charge
    output: charge
  - id: ship
    service: svc
    method: POST /ship
`);

describe("concurrent workers on one task", () => {
  it.each([2, 5])(
    "records one outcome when %i workers run the same task at once",
    async (workers) => {
      const log = recordingLog(createMemorySagaLog());
      const queue = createMemoryTaskQueue();
      const services = createFakeServices();
      let release: () => void = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let answer = 0;
      // Every call is in flight before any returns; each returns a different body, as a
      // non-idempotent service would.
      services.on("POST /charge", async () => {
        await gate;
        return { ok: true, output: { id: `charge-${++answer}` } };
      });
      const deps = {
        log,
        queue,
        caller: {
          call: (r: Parameters<typeof services.call>[0]) =>
            services.call({ ...r, idempotencyKey: `${r.idempotencyKey}#${Math.random()}` }),
        },
        workflows: staticWorkflows([workflow]),
        clock: systemClock,
        logger: silentLogger,
        fastPathSteps: 0,
      };
      const { runId } = await startRun(
        { log, queue, clock: systemClock, newId: () => "run-race" },
        { workflow, input: {} },
      );
      const [task] = await queue.receive({ max: 1, waitMs: 0 });
      if (!task) throw new Error("no task");
      const handles = Array.from({ length: workers }, () => createWorker(deps).handle(task.task));
      await new Promise((r) => setTimeout(r, 20));
      release();
      await Promise.all(handles);
      expect(services.callsTo("POST /charge")).toHaveLength(workers);
      const outcomes = log.history(runId).filter((e) => e.type === "step_succeeded");
      expect(outcomes).toHaveLength(1);
      // The next step was handed on once, by the worker whose outcome landed.
      const next = await queue.receive({ max: 10, waitMs: 0 });
      expect(next.map((m) => m.task)).toEqual([
        { kind: "step", runId, stepId: "ship", attempt: 1 },
      ]);
    },
  );
});
