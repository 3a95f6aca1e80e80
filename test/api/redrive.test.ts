/**
 * `POST /v1/runs/{id}/redrive` over real HTTP on loopback: the API and the local runtime
 * call a real HTTP service on 127.0.0.1 that fails until it is told to succeed.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { createMemoryWorkflowRegistry } from "../../src/adapters/memory/memory-workflow-registry.js";
import { createApi } from "../../src/api/app.js";
import { createHttpCaller } from "../../src/callers/http-caller.js";
import type { RunStatus } from "../../src/engine/events.js";
import { RunService } from "../../src/gen/maestro/v1/runs_pb.js";
import { systemClock } from "../../src/ports/clock.js";
import { silentLogger } from "../../src/ports/logger.js";
import type { SagaLog } from "../../src/ports/saga-log.js";
import { createLocalRuntime, type LocalRuntime } from "../../src/runtime/local-runtime.js";
import { registryCatalog } from "../../src/runtime/registry-catalog.js";

interface Call {
  readonly path: string;
  readonly key: string | undefined;
  readonly attempt: number;
}

/** A payments-like service: `/charge` answers 503 (or 422 when `refuse`) until `healthy`. */
function createFlakyService() {
  const calls: Call[] = [];
  const state = { healthy: false, refuse: false };
  const server: Server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on("end", () => {
      const path = req.url ?? "";
      const key = req.headers["idempotency-key"] as string | undefined;
      calls.push({ path, key, attempt: Number(req.headers["x-maestro-attempt"]) });
      const failing = path === "/charge" && !state.healthy;
      const status = failing ? (state.refuse ? 422 : 503) : 200;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(
        JSON.stringify(failing ? { error: "card processor down" } : { id: `${path}:${key}` }),
      );
    });
  });
  return {
    calls,
    state,
    server,
    callsTo: (path: string, runId: string) =>
      calls.filter((c) => c.path === path && c.key?.startsWith(`${runId}/`)),
  };
}

const service = createFlakyService();
let api: ServerType;
let base: string;
let runtime: LocalRuntime;
let queue: ReturnType<typeof createMemoryTaskQueue>;
let log: SagaLog;

function definition(version: string, options: { extra?: string; reserve?: string } = {}) {
  const { port } = service.server.address() as AddressInfo;
  return `
name: payment
version: "${version}"
services:
  pay:
    type: http
    endpoint: "http://127.0.0.1:${port}"
    retry: { max_attempts: 2, initial_interval: 10ms, jitter: none }
steps:
  - { id: reserve, service: pay, method: ${options.reserve ?? "POST /reserve"}, output: reservation }
  - { id: charge, service: pay, method: POST /charge, input: { ref: "{{ .reservation.id }}" }, output: charge }
  - { id: notify, service: pay, method: POST /notify }
${options.extra ?? ""}
output: { reservation: "{{ .reservation.id }}", charge: "{{ .charge.id }}" }
`;
}

const post = (path: string, body?: unknown) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
const json = async (r: Response) => (await r.json()) as Record<string, unknown>;

async function register(version: string, yaml: string) {
  const res = await fetch(`${base}/v1/workflows/payment/versions/${version}`, {
    method: "PUT",
    headers: { "content-type": "application/yaml" },
    body: yaml,
  });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
}

async function start(workflow: string, version?: string): Promise<string> {
  const res = await post("/v1/runs", { workflow, ...(version && { version }), input: {} });
  expect(res.status).toBe(201);
  return (await json(res)).runId as string;
}

async function finished(runId: string, status: RunStatus) {
  const state = await runtime.waitForRun(runId, { timeoutMs: 20_000 });
  expect(state.status, JSON.stringify(state.failure)).toBe(status);
  return state;
}

async function redriveEvents(runId: string) {
  const events = (await log.events?.(runId, 0)) ?? [];
  return events.filter((e) => e.type === "run_redriven");
}

beforeAll(async () => {
  await new Promise<void>((r) => service.server.listen(0, "127.0.0.1", r));
  log = createMemorySagaLog();
  queue = createMemoryTaskQueue();
  const registry = createMemoryWorkflowRegistry();
  const workflows = registryCatalog(registry);
  runtime = createLocalRuntime({ log, queue, caller: createHttpCaller(), workflows });
  runtime.start();
  const app = createApi({
    log,
    queue,
    workflows,
    registry,
    clock: systemClock,
    logger: silentLogger,
    newId: () => crypto.randomUUID(),
  });
  api = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  await register("1.0.0", definition("1.0.0"));
  await register(
    "1.1.0",
    definition("1.1.0", {
      extra: "  - { id: receipt, service: pay, method: POST /receipt, depends_on: [notify] }",
    }),
  );
  await register("2.0.0", definition("2.0.0", { reserve: "POST /hold" }));
  const undoable = definition("1.0.0")
    .replace("name: payment", "name: undoable")
    .replace(
      "output: reservation }",
      "output: reservation, compensate: { method: POST /release } }",
    );
  await fetch(`${base}/v1/workflows/undoable/versions/1.0.0`, { method: "PUT", body: undoable });
  await fetch(`${base}/v1/workflows/hold/versions/1.0.0`, {
    method: "PUT",
    body: `
name: hold
version: "1.0.0"
services: { pay: { type: http, endpoint: "http://127.0.0.1:1" } }
steps:
  - { id: approval, wait_for: { signal: go } }
`,
  });
});
afterAll(async () => {
  queue.close();
  await runtime.stop();
  await new Promise((r) => api.close(r));
  await new Promise((r) => service.server.close(r));
});
beforeEach(() => {
  service.state.healthy = false;
  service.state.refuse = false;
});

describe("redrive of a failed run", () => {
  it("resumes from the failed step: completed steps are not called again, attempts go on", async () => {
    const runId = await start("payment", "1.0.0");
    await finished(runId, "failed");
    expect(service.callsTo("/charge", runId).map((c) => c.attempt)).toEqual([1, 2]);

    service.state.healthy = true;
    const res = await post(`/v1/runs/${runId}/redrive`, { reason: "processor fixed", by: "ana" });
    expect(res.status).toBe(202);
    expect(await json(res)).toMatchObject({ runId, status: "running", version: "1.0.0" });
    const state = await finished(runId, "succeeded");
    expect(state.output).toEqual({
      reservation: `/reserve:${runId}/reserve`,
      charge: `/charge:${runId}/charge`,
    });

    expect(service.callsTo("/reserve", runId)).toHaveLength(1);
    const charges = service.callsTo("/charge", runId);
    expect(charges.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(new Set(charges.map((c) => c.key))).toEqual(new Set([`${runId}/charge`]));
    expect(service.callsTo("/notify", runId)).toHaveLength(1);
    expect(await redriveEvents(runId)).toMatchObject([
      { mode: "resume", fromStepId: "charge", reason: "processor fixed", by: "ana" },
    ]);
    const run = await json(await fetch(`${base}/v1/runs/${runId}`));
    expect(run).toMatchObject({ status: "succeeded", version: "1.0.0" });
    expect(run.steps).toMatchObject([
      { step: "reserve", attempts: 1 },
      { step: "charge", status: "succeeded", attempts: 3 },
      { step: "notify", attempts: 1 },
    ]);
  });

  it("fails again normally when the step still fails, and can be redriven again", async () => {
    service.state.refuse = true;
    const runId = await start("payment", "1.0.0");
    await finished(runId, "failed");
    expect((await post(`/v1/runs/${runId}/redrive`)).status).toBe(202);
    await finished(runId, "failed");
    // A terminal error is not retried: one more attempt per redrive.
    expect(service.callsTo("/charge", runId).map((c) => c.attempt)).toEqual([1, 2]);
    service.state.healthy = true;
    expect((await post(`/v1/runs/${runId}/redrive`, {})).status).toBe(202);
    await finished(runId, "succeeded");
    expect(service.callsTo("/charge", runId).map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(await redriveEvents(runId)).toHaveLength(2);
  });

  it("makes exactly one redrive of 20 concurrent requests; the others get 409", async () => {
    const runId = await start("payment", "1.0.0");
    await finished(runId, "failed");
    service.state.healthy = true;
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => post(`/v1/runs/${runId}/redrive`, {})),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([202, ...Array(19).fill(409)]);
    const refused = await json(responses.find((r) => r.status === 409) as Response);
    expect(refused.code).toBe("not_redrivable");
    await finished(runId, "succeeded");
    expect(await redriveEvents(runId)).toHaveLength(1);
    expect(service.callsTo("/charge", runId).map((c) => c.attempt)).toEqual([1, 2, 3]);
  });
});

describe("redrive onto a newer version", () => {
  it("moves the run when its progress maps; the new later step runs", async () => {
    const runId = await start("payment", "1.0.0");
    await finished(runId, "failed");
    service.state.healthy = true;
    const res = await post(`/v1/runs/${runId}/redrive`, { version: "1.1.0" });
    expect(res.status).toBe(202);
    expect(await json(res)).toMatchObject({ version: "1.1.0", status: "running" });
    await finished(runId, "succeeded");
    expect(service.callsTo("/reserve", runId)).toHaveLength(1);
    expect(service.callsTo("/receipt", runId)).toHaveLength(1);
    const run = await json(await fetch(`${base}/v1/runs/${runId}`));
    expect(run.version).toBe("1.1.0");
    expect((run.steps as { step: string }[]).map((s) => s.step)).toEqual([
      "reserve",
      "charge",
      "notify",
      "receipt",
    ]);
    expect(await redriveEvents(runId)).toMatchObject([{ version: "1.1.0" }]);
  });

  it("answers 422 naming the step that does not map, and leaves the run as it was", async () => {
    const runId = await start("payment", "1.0.0");
    await finished(runId, "failed");
    const res = await post(`/v1/runs/${runId}/redrive`, { version: "2.0.0" });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const body = await json(res);
    expect(body).toMatchObject({ code: "version_does_not_map", field: "version" });
    expect(body.detail).toMatch(/step "reserve": .*method changed from "POST \/reserve"/);
    const run = await json(await fetch(`${base}/v1/runs/${runId}`));
    expect(run).toMatchObject({ status: "failed", version: "1.0.0" });
    expect(await redriveEvents(runId)).toHaveLength(0);
  });

  it("refuses a lower version (422) and an unregistered one (404)", async () => {
    const runId = await start("payment", "1.1.0");
    await finished(runId, "failed");
    const lower = await post(`/v1/runs/${runId}/redrive`, { version: "1.0.0" });
    expect(lower.status).toBe(422);
    expect(await json(lower)).toMatchObject({ code: "version_not_newer", field: "version" });
    const unknown = await post(`/v1/runs/${runId}/redrive`, { version: "9.9.9" });
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toMatchObject({ code: "workflow_not_found", field: "version" });
  });
});

describe("RedriveRun over Connect", () => {
  const client = () =>
    createClient(RunService, createConnectTransport({ baseUrl: base, httpVersion: "1.1" }));

  it("moves a failed run onto a newer version with a reason, like the HTTP route", async () => {
    const runId = await start("payment", "1.0.0");
    await finished(runId, "failed");
    service.state.healthy = true;
    const { run } = await client().redriveRun({ runId, version: "1.1.0", reason: "fixed" });
    expect(run).toMatchObject({ id: runId, version: "1.1.0", status: "running" });
    await finished(runId, "succeeded");
    expect(service.callsTo("/receipt", runId)).toHaveLength(1);
    expect(await redriveEvents(runId)).toMatchObject([{ version: "1.1.0", reason: "fixed" }]);
  });

  it("refuses a version that does not map with invalid_argument, leaving the run failed", async () => {
    const runId = await start("payment", "1.0.0");
    await finished(runId, "failed");
    const refused = await client()
      .redriveRun({ runId, version: "2.0.0" })
      .catch((error: unknown) => ConnectError.from(error));
    expect(refused).toBeInstanceOf(ConnectError);
    expect((refused as ConnectError).code).toBe(Code.InvalidArgument);
    expect((refused as ConnectError).rawMessage).toMatch(/step "reserve"/);
    expect((await client().getRun({ runId })).run).toMatchObject({
      status: "failed",
      version: "1.0.0",
    });
  });
});

describe("redrive refusals", () => {
  it("answers 409 with the reason for compensated, succeeded, cancelled and running runs", async () => {
    service.state.refuse = true;
    const compensated = await start("undoable");
    await finished(compensated, "compensated");
    service.state.healthy = true;
    const succeeded = await start("payment", "1.0.0");
    await finished(succeeded, "succeeded");
    const waiting = await start("hold");
    const running = await post(`/v1/runs/${waiting}/redrive`);
    expect(running.status).toBe(409);
    expect((await json(running)).detail).toMatch(/is running .*has not finished/);
    expect((await post(`/v1/runs/${waiting}/cancel`)).status).toBe(202);
    await finished(waiting, "cancelled");
    for (const [runId, why] of [
      [compensated, /is compensated .*undone; start a new run/],
      [succeeded, /is succeeded/],
      [waiting, /is cancelled .*start a new run/],
    ] as const) {
      const res = await post(`/v1/runs/${runId}/redrive`);
      expect(res.status).toBe(409);
      const body = await json(res);
      expect(body.code).toBe("not_redrivable");
      expect(body.detail).toMatch(why);
    }
  });

  it("answers 400 for a malformed body, naming the field", async () => {
    const runId = await start("payment", "1.0.0");
    await finished(runId, "failed");
    const cases: [unknown, string, string?][] = [
      ["{nope", "invalid_json"],
      [[1], "invalid_body"],
      [{ version: 1 }, "invalid_field", "version"],
      [{ reason: "" }, "invalid_field", "reason"],
      [{ force: true }, "unknown_field", "force"],
    ];
    for (const [body, code, field] of cases) {
      const res = await post(`/v1/runs/${runId}/redrive`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await json(res)).toMatchObject({ code, ...(field && { field }) });
    }
    expect((await post("/v1/runs/nope/redrive")).status).toBe(404);
    expect(await redriveEvents(runId)).toHaveLength(0);
  });
});
