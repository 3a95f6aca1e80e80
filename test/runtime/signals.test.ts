/** Signal steps (`wait_for`): approvals and callbacks that resume a run. */
import { afterEach, describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { createApi } from "../../src/api/app.js";
import { systemClock } from "../../src/ports/clock.js";
import { silentLogger } from "../../src/ports/logger.js";
import { createLocalRuntime, type LocalRuntime } from "../../src/runtime/local-runtime.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { loadWorkflow } from "../../src/workflow/load.js";
import { createFakeServices } from "../helpers/fake-services.js";
import { workflowFrom } from "../helpers/workflows.js";

const approval = (timeout = "1m") =>
  workflowFrom(`
name: refund
version: "1.0.0"
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - id: hold
    service: svc
    method: POST /holds
    output: hold
    compensate: { method: "DELETE /holds/{{ .hold.id }}" }
  - id: approve
    wait_for: { signal: approval, timeout: ${timeout} }
    output: approval
  - id: pay
    service: svc
    method: POST /payouts
    input: { approved_by: "{{ .approval.by }}" }
`);

let runtime: LocalRuntime | undefined;
const queue = createMemoryTaskQueue();
afterEach(async () => {
  queue.close();
  await runtime?.stop();
});

function setup(workflow = approval()) {
  const services = createFakeServices();
  const log = createMemorySagaLog();
  const q = createMemoryTaskQueue();
  runtime = createLocalRuntime({
    log,
    queue: q,
    caller: services,
    workflows: staticWorkflows([workflow]),
    sweepEveryMs: 50,
    stallMs: 100,
  });
  runtime.start();
  return { services, log, queue: q, runtime, workflow };
}

async function until(check: () => Promise<boolean>) {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
}

describe("signal steps", () => {
  it("waits for its signal, then continues with the payload as its output", async () => {
    const { services, runtime, workflow } = setup();
    const { runId } = await runtime.startRun({ workflow, input: {} });
    await until(async () => (await runtime.getRun(runId))?.steps.hold?.status === "succeeded");
    await new Promise((r) => setTimeout(r, 50));
    expect((await runtime.getRun(runId))?.status).toBe("running");
    expect(services.callsTo("POST /payouts")).toHaveLength(0);
    await runtime.signalRun(runId, "approval", { by: "ops@example.com" });
    const state = await runtime.waitForRun(runId);
    expect(state.status).toBe("succeeded");
    expect(services.callsTo("POST /payouts")[0]?.input).toEqual({ approved_by: "ops@example.com" });
  });

  it("keeps a signal that arrives before the step is reached", async () => {
    const { services, runtime, workflow } = setup();
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    services.on("POST /holds", async () => {
      await held;
      return { ok: true, output: { id: "h1" } };
    });
    const { runId } = await runtime.startRun({ workflow, input: {} });
    await runtime.signalRun(runId, "approval", { by: "early" });
    release();
    const state = await runtime.waitForRun(runId);
    expect(state.status).toBe("succeeded");
    expect(state.steps.approve?.output).toEqual({ by: "early" });
  });

  it("fails the step when no signal comes in time, and compensates", async () => {
    const { runtime, workflow } = setup(approval("200ms"));
    const { runId } = await runtime.startRun({ workflow, input: {} });
    const state = await runtime.waitForRun(runId, { timeoutMs: 10_000 });
    expect(state.status).toBe("compensated");
    expect(state.steps.approve?.error).toMatchObject({ code: "deadline_exceeded" });
    await expect(runtime.signalRun(runId, "approval", {})).rejects.toThrow(/takes no more signals/);
  });

  it("takes signals over the API: 202, 404 for a signal nobody waits for", async () => {
    const { log, queue: q, runtime, workflow } = setup();
    const app = createApi({
      log,
      queue: q,
      workflows: staticWorkflows([workflow]),
      clock: systemClock,
      logger: silentLogger,
      newId: () => crypto.randomUUID(),
    });
    const { runId } = await runtime.startRun({ workflow, input: {} });
    const send = (name: string, body: string) =>
      app.request(`/v1/runs/${runId}/signals/${name}`, { method: "POST", body });
    expect((await send("nope", "{}")).status).toBe(404);
    expect((await send("approval", "{bad")).status).toBe(400);
    expect((await send("approval", '{"by":"api"}')).status).toBe(202);
    expect((await runtime.waitForRun(runId)).status).toBe("succeeded");
  });

  it("is validated: a signal step calls nothing", () => {
    const result = loadWorkflow(
      `name: w\nversion: "1"\nservices: { s: { type: http, endpoint: "http://s" } }\nsteps:\n  - id: a\n    service: s\n    wait_for: { signal: go }\n`,
      "w.yaml",
    );
    expect(
      result.ok ? [] : result.diagnostics.map((d) => `${d.line}:${d.column}: ${d.message}`),
    ).toEqual(["6:5: service: a signal step calls nothing; remove service or wait_for"]);
  });
});
