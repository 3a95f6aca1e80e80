/**
 * Tracing off, the default: no SDK is registered in this process. Maestro makes no spans and
 * sends no trace headers of its own, but a run started under a caller's `traceparent` keeps
 * it in its log, passes it on to the services and puts its trace id in the log lines.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { createHttpCaller } from "../../src/callers/http-caller.js";
import { systemClock } from "../../src/ports/clock.js";
import { createLocalRuntime, type LocalRuntime } from "../../src/runtime/local-runtime.js";
import { startRun } from "../../src/runtime/start-run.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { createJsonLogger } from "../../src/util/json-logger.js";
import type { Workflow } from "../../src/workflow/model.js";
import {
  startTraceService,
  TENANT_SECRET,
  type TraceService,
  tracedWorkflow,
} from "../helpers/trace-service.js";
import { workflowFrom } from "../helpers/workflows.js";

const log = createMemorySagaLog();
const queue = createMemoryTaskQueue();
const lines: Record<string, unknown>[] = [];
let service: TraceService;
let runtime: LocalRuntime;
let workflow: Workflow;

beforeAll(async () => {
  service = await startTraceService({ "/charge": 1 });
  workflow = workflowFrom(tracedWorkflow(service.url));
  runtime = createLocalRuntime({
    log,
    queue,
    workflows: staticWorkflows([workflow]),
    caller: createHttpCaller(),
    logger: createJsonLogger({ level: "debug", write: (l) => lines.push(JSON.parse(l)) }),
    secrets: { get: async (name) => (name === "tenant" ? TENANT_SECRET : undefined) },
  });
  runtime.start();
});
afterAll(async () => {
  queue.close();
  await runtime.stop();
  await service.close();
});

async function run(trace?: { traceparent: string; tracestate?: string }) {
  const { runId } = await startRun(
    { log, queue, clock: systemClock, newId: () => crypto.randomUUID() },
    { workflow, input: {}, ...(trace && { trace }) },
  );
  expect((await runtime.waitForRun(runId, { timeoutMs: 20_000 })).status).toBe("succeeded");
  const events = (await log.events?.(runId, 0)) ?? [];
  const calls = service.calls.splice(0);
  return { runId, started: events.find((e) => e.type === "run_started"), calls };
}

describe("tracing off", () => {
  it("sends no trace headers and records no trace for a run started without one", async () => {
    const { started, calls } = await run();
    expect(started).not.toHaveProperty("trace");
    expect(calls).toHaveLength(3);
    for (const call of calls) {
      expect(call.traceparent).toBeUndefined();
      expect(call.tracestate).toBeUndefined();
    }
  });

  it("passes a caller's trace context through to every call and into the log lines", async () => {
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const { runId, started, calls } = await run({ traceparent, tracestate: "congo=t61rcWkgMzE" });
    expect(started).toMatchObject({ trace: { traceparent, tracestate: "congo=t61rcWkgMzE" } });
    expect(calls.map((c) => [c.path, c.traceparent, c.tracestate])).toEqual([
      ["/reserve", traceparent, "congo=t61rcWkgMzE"],
      ["/charge", traceparent, "congo=t61rcWkgMzE"],
      ["/charge", traceparent, "congo=t61rcWkgMzE"],
    ]);
    const stepLines = lines.filter((l) => l.runId === runId && l.stepId !== undefined);
    expect(stepLines.length).toBeGreaterThan(0);
    for (const line of stepLines) expect(line.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(JSON.stringify(lines)).not.toContain(TENANT_SECRET);
  });

  it("records nothing for a malformed traceparent", async () => {
    const { started, calls } = await run({ traceparent: "01-nonsense" });
    expect(started).not.toHaveProperty("trace");
    expect(calls.every((c) => c.traceparent === undefined)).toBe(true);
  });
});
