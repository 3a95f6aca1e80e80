/**
 * An error that leaves a run for the logs — a store refusing a write and quoting the item,
 * say — has the run's sensitive values masked, in the worker and in the sweeper; the run
 * itself is untouched and finishes on redelivery.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { REDACTED } from "../../src/engine/sensitive.js";
import type { Logger } from "../../src/ports/logger.js";
import type { SagaLog } from "../../src/ports/saga-log.js";
import { createLocalRuntime, type LocalRuntime } from "../../src/runtime/local-runtime.js";
import { sweep } from "../../src/runtime/sweeper.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { createFakeServices } from "../helpers/fake-services.js";
import { workflowFrom } from "../helpers/workflows.js";

const CARD = "4111111111111111";

const charge = (sensitive: boolean) =>
  workflowFrom(`
name: charge
version: "1"
${sensitive ? "sensitive: [input.card]" : ""}
services: { pay: { type: http, endpoint: "http://pay" } }
steps:
  - id: charge
    service: pay
    method: POST /charges
    input: { card: "{{ .input.card }}" }
    output: receipt
`);

interface Line {
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

function capturingLogger(lines: Line[]): Logger {
  const write = (message: string, fields: Readonly<Record<string, unknown>> = {}) => {
    lines.push({ message, fields });
  };
  const logger: Logger = {
    debug: write,
    info: write,
    warn: write,
    error: write,
    child: () => logger,
  };
  return logger;
}

/**
 * A store that refuses the first `failures` appends with an error quoting what it holds of
 * the run and what it was given (as a conditional write returning the old item may).
 */
function quotingLog(inner: SagaLog, failures: number): SagaLog {
  let left = failures;
  return {
    ...inner,
    async append(runId, expectedSeq, events, options) {
      if (left-- > 0) {
        const held = (await inner.load(runId))?.events;
        throw new Error(`item rejected: ${JSON.stringify({ held, events })}`);
      }
      return inner.append(runId, expectedSeq, events, options);
    },
  };
}

let runtime: LocalRuntime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

async function failOnceThenFinish(sensitive: boolean) {
  const workflow = charge(sensitive);
  const lines: Line[] = [];
  const services = createFakeServices();
  services.on("POST /charges", (request) => ({
    ok: true,
    output: { id: "ch_1", card: (request.input as { card: string }).card },
  }));
  runtime = createLocalRuntime({
    log: quotingLog(createMemorySagaLog(), 1),
    queue: createMemoryTaskQueue(),
    caller: services,
    workflows: staticWorkflows([workflow]),
    logger: capturingLogger(lines),
    visibilityMs: 50,
  });
  runtime.start();
  const { runId } = await runtime.startRun({ workflow, input: { card: CARD } });
  const state = await runtime.waitForRun(runId, { timeoutMs: 10_000 });
  const failed = lines.filter((l) => l.message.startsWith("task failed"));
  return { state, failed };
}

describe("errors leaving a run", () => {
  it("reach the worker's log line with the run's sensitive values masked", async () => {
    const { state, failed } = await failOnceThenFinish(true);
    expect(state.status).toBe("succeeded");
    expect(state.input).toEqual({ card: CARD });
    expect(failed).toHaveLength(1);
    const error = String(failed[0]?.fields.error);
    expect(error).toContain("item rejected");
    expect(error).toContain(REDACTED);
    expect(error).not.toContain(CARD);
  });

  it("are left whole when the workflow marks nothing sensitive", async () => {
    const { state, failed } = await failOnceThenFinish(false);
    expect(state.status).toBe("succeeded");
    expect(String(failed[0]?.fields.error)).toContain(CARD);
  });

  it("reach the sweeper's log line with the run's sensitive values masked", async () => {
    const workflow = charge(true);
    const memory = createMemorySagaLog();
    const queue = createMemoryTaskQueue();
    let now = Date.parse("2026-12-06T10:00:00Z");
    const clock = { now: () => now };
    const starter = createLocalRuntime({
      log: memory,
      queue,
      caller: createFakeServices(),
      workflows: staticWorkflows([workflow]),
      clock,
    });
    // Never started: the run waits, its task unserved, until its deadline has passed.
    const { runId } = await starter.startRun({ workflow, input: { card: CARD } });
    now += 25 * 3_600_000;
    const lines: Line[] = [];
    await sweep(
      {
        log: quotingLog(memory, 1),
        queue,
        workflows: staticWorkflows([workflow]),
        clock,
        logger: capturingLogger(lines),
      },
      { stallMs: 60_000 },
    );
    const failed = lines.filter((l) => l.message === "sweep of a run failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.fields.runId).toBe(runId);
    const error = String(failed[0]?.fields.error);
    expect(error).toContain("item rejected");
    expect(error).not.toContain(CARD);
    expect((await memory.load(runId))?.events[0]).toMatchObject({ input: { card: CARD } });
  });
});
