/**
 * `maestro serve` keeps a workflow's concurrency limit with its API and workers sharing the
 * slots: a second run waits (Connect GetRun says so), is cancelled through the API while it
 * waits, and the run holding the slot finishes and gives it back.
 */
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunService } from "../../src/gen/maestro/v1/runs_pb.js";
import { silentLogger } from "../../src/ports/logger.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { memoryStore } from "../../src/server/stores.js";
import { createFakeServices } from "../helpers/fake-services.js";
import { workflowFrom } from "../helpers/workflows.js";

const services = createFakeServices();
let server: RunningServer;
let client: ReturnType<typeof createClient<typeof RunService>>;
let open: () => void = () => {};
const gate = new Promise<void>((r) => {
  open = r;
});
services.on("POST /work", async () => {
  await gate;
  return { ok: true, output: {} };
});

beforeAll(async () => {
  server = await startServer({
    port: 0,
    store: memoryStore(),
    caller: services,
    logger: silentLogger,
    workflows: [
      workflowFrom(`
name: limited
version: "1.0.0"
concurrency: { max: 1 }
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - { id: work, service: svc, method: POST /work }
`),
    ],
    sweepEveryMs: 50,
  });
  client = createClient(
    RunService,
    createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
  );
});
afterAll(async () => {
  open();
  await server.close();
});

async function until(check: () => Promise<boolean>) {
  for (let i = 0; i < 1_000 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
}

describe("serve: concurrent runs of a workflow", () => {
  it("holds the second run back, cancels it while it waits, and finishes the first", async () => {
    const first = await client.startRun({ workflow: "limited" });
    await until(async () => services.callsTo("POST /work").length === 1);
    const second = await client.startRun({ workflow: "limited" });
    await until(
      async () => (await client.getRun({ runId: second.run?.id ?? "" })).run?.waitingFor !== "",
    );
    const waiting = await client.getRun({ runId: second.run?.id ?? "" });
    expect(waiting.run).toMatchObject({ status: "running", waitingFor: "concurrency_slot" });
    // Each look that finds no slot is a deferral, counted with its reason.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /maestro_step_deferrals_total\{workflow="limited",reason="run concurrency limit"\} [1-9]/,
    );
    const cancelled = await client.cancelRun({ runId: second.run?.id ?? "" });
    expect(cancelled.run).toMatchObject({ status: "cancelled", waitingFor: "" });
    open();
    await until(
      async () => (await client.getRun({ runId: first.run?.id ?? "" })).run?.status === "succeeded",
    );
    expect((await client.getRun({ runId: first.run?.id ?? "" })).run?.status).toBe("succeeded");
    expect(services.callsTo("POST /work")).toHaveLength(1);
    // The slot came back: a new run goes straight through.
    const third = await client.startRun({ workflow: "limited" });
    await until(
      async () => (await client.getRun({ runId: third.run?.id ?? "" })).run?.status === "succeeded",
    );
    expect((await client.getRun({ runId: third.run?.id ?? "" })).run?.status).toBe("succeeded");
  });
});
