/** The HTTP API over real HTTP on loopback, driving the local runtime with memory adapters. */
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { createApi } from "../../src/api/app.js";
import { systemClock } from "../../src/ports/clock.js";
import { silentLogger } from "../../src/ports/logger.js";
import { createLocalRuntime, type LocalRuntime } from "../../src/runtime/local-runtime.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { createFakeServices } from "../helpers/fake-services.js";
import { workflowFrom } from "../helpers/workflows.js";

const v1 = workflowFrom(`
name: greet
version: "1.0.0"
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - { id: hello, service: svc, method: POST /hello, output: hello }
output: { said: "{{ .hello.echo }}" }
`);
const v2 = { ...v1, version: "1.10.0" };

let server: ServerType;
let base: string;
let runtime: LocalRuntime;
let queue: ReturnType<typeof createMemoryTaskQueue>;

beforeAll(async () => {
  const log = createMemorySagaLog();
  queue = createMemoryTaskQueue();
  const workflows = staticWorkflows([v1, v2]);
  runtime = createLocalRuntime({ log, queue, caller: createFakeServices(), workflows });
  runtime.start();
  const app = createApi({
    log,
    queue,
    workflows,
    clock: systemClock,
    logger: silentLogger,
    newId: () => crypto.randomUUID(),
    maxBodyBytes: 4096,
  });
  server = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  queue.close();
  await runtime.stop();
  await new Promise((r) => server.close(r));
});

type Body = { [key: string]: unknown; runId: string; code: string; field?: string };
const json = async (r: Response) => (await r.json()) as Body;

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("runs API", () => {
  it("starts a run of the latest version and reads it back with its timeline", async () => {
    const res = await post("/v1/runs", { workflow: "greet", input: { name: "Ada" } });
    expect(res.status).toBe(201);
    const started = await json(res);
    expect(started).toMatchObject({ workflow: "greet", version: "1.10.0" });
    await runtime.waitForRun(started.runId);
    const run = await json(await fetch(`${base}/v1/runs/${started.runId}`));
    expect(run).toMatchObject({
      status: "succeeded",
      input: { name: "Ada" },
      steps: [{ step: "hello", status: "succeeded", attempts: 1 }],
    });
  });

  it("returns the first run for a repeated Idempotency-Key and refuses a different body with 422", async () => {
    const headers = { "idempotency-key": "order-42" };
    const first = await post(
      "/v1/runs",
      { workflow: "greet", version: "1.0.0", input: { n: 1 } },
      headers,
    );
    const again = await post(
      "/v1/runs",
      { workflow: "greet", version: "1.0.0", input: { n: 1 } },
      headers,
    );
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect((await json(again)).runId).toBe((await json(first)).runId);
    const other = await post(
      "/v1/runs",
      { workflow: "greet", version: "1.0.0", input: { n: 2 } },
      headers,
    );
    expect(other.status).toBe(422);
    expect(other.headers.get("content-type")).toBe("application/problem+json");
    expect((await json(other)).code).toBe("idempotency_key_reused");
  });

  it("starts one run when 20 identical requests race with one key", async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        post("/v1/runs", { workflow: "greet", input: {} }, { "idempotency-key": "race-1" }),
      ),
    );
    const ids = new Set(await Promise.all(responses.map(async (r) => (await json(r)).runId)));
    expect(ids.size).toBe(1);
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
  });

  it("answers bad requests with problem details naming the field", async () => {
    const cases: [unknown, number, string, string?][] = [
      ["{not json", 400, "invalid_json"],
      [[], 400, "invalid_body"],
      [{ workflow: "" }, 400, "invalid_field", "workflow"],
      [{ workflow: "greet", extra: 1 }, 400, "unknown_field", "extra"],
      [{ workflow: "nope" }, 404, "workflow_not_found", "workflow"],
      [{ workflow: "greet", version: "9" }, 404, "workflow_not_found", "workflow"],
      [{ workflow: "greet", input: "x".repeat(5000) }, 413, "payload_too_large"],
    ];
    for (const [body, status, code, field] of cases) {
      const res = await post("/v1/runs", body);
      expect(res.status, JSON.stringify(body).slice(0, 40)).toBe(status);
      const p = await json(res);
      expect(p.code).toBe(code);
      if (field) expect(p.field).toBe(field);
    }
    expect((await fetch(`${base}/v1/runs/nope`)).status).toBe(404);
    expect((await post("/v1/runs/nope/cancel", {})).status).toBe(404);
  });

  it("refuses to cancel a finished run with 409", async () => {
    const { runId } = await json(await post("/v1/runs", { workflow: "greet" }));
    await runtime.waitForRun(runId);
    const res = await post(`/v1/runs/${runId}/cancel`, {});
    expect(res.status).toBe(409);
  });
});

describe("input_schema", () => {
  /** An API serving one workflow with this input_schema, and a function that starts runs. */
  function typedApi(schema: string) {
    const typed = workflowFrom(`
name: typed
version: "1.0.0"
input_schema:
${schema
  .trim()
  .split("\n")
  .map((line) => `  ${line}`)
  .join("\n")}
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - { id: hello, service: svc, method: POST /hello }
`);
    const log = createMemorySagaLog();
    const app = createApi({
      log,
      queue: createMemoryTaskQueue(),
      workflows: staticWorkflows([typed]),
      clock: systemClock,
      logger: silentLogger,
      newId: () => crypto.randomUUID(),
    });
    const start = (input: unknown) =>
      app.request("/v1/runs", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ workflow: "typed", input }),
      });
    return { start, log };
  }

  it("refuses input that does not match the workflow's schema, naming the field", async () => {
    const { start } = typedApi(`
type: object
required: [email]
properties:
  email: { type: string, format: email }
  plan: { enum: [free, pro] }
`);
    const missing = await start({ plan: "pro" });
    expect(missing.status).toBe(422);
    expect(await missing.json()).toMatchObject({ code: "invalid_input", field: "input.email" });
    const wrong = await start({ email: "a@b.c", plan: "gold" });
    expect(await wrong.json()).toMatchObject({ code: "invalid_input", field: "input.plan" });
    const notAnEmail = await start({ email: "not an address", plan: "pro" });
    expect(await notAnEmail.json()).toMatchObject({ code: "invalid_input", field: "input.email" });
    expect((await start({ email: "a@b.c", plan: "pro" })).status).toBe(201);
  });

  it("names the deepest field at fault: list items, refs, extra properties", async () => {
    const { start } = typedApi(`
type: object
additionalProperties: false
$defs:
  sku: { type: string, pattern: "^[A-Z]{3}-[0-9]+$" }
properties:
  customer: { type: string }
  items:
    type: array
    minItems: 1
    items:
      type: object
      required: [sku, quantity]
      properties:
        sku: { $ref: "#/$defs/sku" }
        quantity: { type: integer, minimum: 1 }
`);
    const field = async (input: unknown) => {
      const res = await start(input);
      expect(res.status).toBe(422);
      const body = (await res.json()) as { code: string; field: string; detail: string };
      expect(body.code).toBe("invalid_input");
      return body;
    };
    expect((await field({ items: [{ sku: "ABC-1" }] })).field).toBe("input.items.0.quantity");
    expect((await field({ items: [{ sku: "ABC-1", quantity: 0 }] })).field).toBe(
      "input.items.0.quantity",
    );
    const badSku = await field({ items: [{ sku: "abc", quantity: 1 }] });
    expect(badSku.field).toBe("input.items.0.sku");
    expect(badSku.detail).toContain("items.0.sku");
    expect((await field({ items: [], customer: "c" })).field).toBe("input.items");
    expect((await field({ items: [{ sku: "ABC-1", quantity: 1 }], coupon: "x" })).field).toBe(
      "input.coupon",
    );
    expect((await start({ items: [{ sku: "ABC-1", quantity: 2 }] })).status).toBe(201);
  });

  it("answers 500 invalid_input_schema for a schema that cannot be used, and starts nothing", async () => {
    for (const schema of [
      "{ type: object, properties: { a: { type: string, pattern: '(' } } }",
      '{ $ref: "#/$defs/missing" }',
    ]) {
      const { start, log } = typedApi(schema);
      const res = await start({ a: "x" });
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ code: "invalid_input_schema" });
      expect((await log.list({ limit: 10 })).runs).toHaveLength(0);
    }
  });
});
