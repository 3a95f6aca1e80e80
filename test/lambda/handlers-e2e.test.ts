/**
 * The AWS runtime end to end: runs start through the `api` handler (HTTP API v2 events),
 * the harness feeds the step and compensation queues to the worker handlers as the SQS
 * event source would, state lives in DynamoDB Local, and the services are real HTTP
 * servers on loopback.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Shop, startShop } from "../../examples/services/shop.js";
import { FINAL_STATUSES } from "../../src/engine/events.js";
import { fold } from "../../src/engine/state.js";
import { silentLogger } from "../../src/ports/logger.js";
import type { SagaLog } from "../../src/ports/saga-log.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { withEndpoints } from "../../src/workflow/endpoints.js";
import type { Workflow } from "../../src/workflow/model.js";
import { dynamodbEndpoint, sqsEndpoint } from "../emulators/endpoints.js";
import { workflowFile } from "../helpers/workflows.js";
import { createHarness, type Harness } from "./harness.js";

const endpoint = dynamodbEndpoint();
let shop: Shop;
let workflows: Workflow[];

beforeAll(async () => {
  shop = await startShop();
  const overrides = new Map(Object.entries(shop.endpoints).map(([k, v]) => [k, [v]]));
  workflows = [
    withEndpoints(await workflowFile("examples/workflows/order_processing.yaml"), overrides),
    withEndpoints(await workflowFile("test/fixtures/parallel_order.yaml"), overrides),
  ];
});
afterAll(() => shop.close());
beforeEach(() => {
  for (const s of [shop.inventory, shop.payments, shop.shipping]) {
    s.state.calls.length = 0;
    s.state.faults.clear();
  }
});

async function finished(log: SagaLog, runId: string) {
  const loaded = await log.load(runId);
  const state = loaded && fold(loaded.snapshot, loaded.events);
  return state !== undefined && FINAL_STATUSES.has(state.status);
}

async function runThrough(
  h: Harness,
  workflow: string,
  input: unknown,
  headers: Record<string, string> = {},
) {
  const started = await h.api("POST", "/v1/runs", { workflow, input }, headers);
  expect(started.status).toBe(201);
  const runId = started.body.runId as string;
  await h.drain(() => finished(h.deps.log, runId));
  const run = await h.api("GET", `/v1/runs/${runId}`);
  return run.body;
}

const order = {
  order_id: "o-1",
  items: [{ sku: "a", quantity: 1 }],
  amount_cents: 500,
  address: "1 Main St",
};

describe.skipIf(!endpoint)("Lambda handlers against DynamoDB Local and SQS", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(
      { dynamodb: endpoint as string, sqs: sqsEndpoint() },
      {
        workflows: staticWorkflows(workflows),
        logger: silentLogger,
      },
    );
  });

  it("runs a saga to success through the api and step-worker handlers", async () => {
    const run = await runThrough(h, "order_processing", order);
    expect(run.status).toBe("succeeded");
    expect(run.output.tracking).toMatch(/^TRK/);
    expect(run.steps.map((s: { status: string }) => s.status)).toEqual([
      "succeeded",
      "succeeded",
      "succeeded",
      "succeeded",
    ]);
  });

  it("fans out and joins once", async () => {
    const run = await runThrough(h, "parallel_order", order);
    expect(run.status).toBe("succeeded");
    expect(shop.shipping.state.calls).toHaveLength(1);
  });

  it("retries with a queue delay, then succeeds with one effect", async () => {
    shop.payments.state.faults.set("POST /charges", {
      route: "POST /charges",
      mode: "times",
      count: 1,
      status: 503,
    });
    const run = await runThrough(h, "order_processing", { ...order, order_id: "o-2" });
    expect(run.status).toBe("succeeded");
    expect(run.steps.find((s: { step: string }) => s.step === "charge_card").attempts).toBe(2);
    expect(shop.payments.effects("POST /charges")).toHaveLength(1);
  });

  it("compensates through the compensator handler when a late step fails", async () => {
    const run = await runThrough(h, "order_processing", {
      ...order,
      order_id: "o-3",
      address: "nowhere",
    });
    expect(run.status).toBe("compensated");
    expect(shop.payments.effects("POST /charges/:id/refunds")).toHaveLength(1);
    expect(shop.inventory.effects("DELETE /reservations/:id")).toHaveLength(1);
  });

  it("returns the first run for a repeated Idempotency-Key", async () => {
    const headers = { "idempotency-key": "lambda-key-1" };
    const a = await h.api(
      "POST",
      "/v1/runs",
      { workflow: "order_processing", input: order },
      headers,
    );
    const b = await h.api(
      "POST",
      "/v1/runs",
      { workflow: "order_processing", input: order },
      headers,
    );
    expect([a.status, b.status]).toEqual([201, 200]);
    expect(b.body.runId).toBe(a.body.runId);
    await h.drain(() => finished(h.deps.log, a.body.runId));
  });
});
