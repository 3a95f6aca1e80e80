/**
 * Faults on the AWS path, through the real handlers: duplicate deliveries, a visibility
 * timeout that expires while a step runs, a crash between a call and its checkpoint,
 * DynamoDB throttling, and poison messages.
 */

import { ProvisionedThroughputExceededException } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
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
const order = { order_id: "o-1", items: [], amount_cents: 500, address: "1 Main St" };

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

async function state(log: SagaLog, runId: string) {
  const loaded = await log.load(runId);
  return { state: loaded && fold(loaded.snapshot, loaded.events), events: loaded?.events ?? [] };
}

async function run(
  h: Harness,
  workflow: string,
  input: unknown,
  drain: Parameters<Harness["drain"]>[1] = {},
) {
  const started = await h.api("POST", "/v1/runs", { workflow, input });
  const runId = started.body.runId as string;
  await h.drain(async () => {
    const s = (await state(h.deps.log, runId)).state;
    return s !== undefined && FINAL_STATUSES.has(s.status);
  }, drain);
  return state(h.deps.log, runId);
}

/** Every step outcome appears once in the log. */
function outcomesOnce(events: readonly { type: string }[]) {
  const ids = events
    .filter((e) => e.type === "step_succeeded" || e.type === "step_failed")
    .map((e) => (e as unknown as { stepId: string }).stepId);
  expect(new Set(ids).size).toBe(ids.length);
}

describe.skipIf(!endpoint)("faults on the Lambda path", () => {
  const base = () => ({ workflows: staticWorkflows(workflows), logger: silentLogger });

  it("survives every task being delivered twice, with three concurrent pollers", async () => {
    const h = await createHarness({ dynamodb: endpoint as string, sqs: sqsEndpoint() }, base(), {
      wrapQueue: (inner) => ({ send: (tasks) => inner.send([...tasks, ...tasks]) }),
    });
    const result = await run(h, "parallel_order", order, { workers: 3 });
    expect(result.state?.status).toBe("succeeded");
    outcomesOnce(result.events);
    expect(shop.shipping.effects()).toHaveLength(1);
    expect(shop.payments.effects()).toHaveLength(1);
  });

  it("records a step once when its visibility timeout expires mid-call and a second worker takes it", async () => {
    const h = await createHarness({ dynamodb: endpoint as string, sqs: sqsEndpoint() }, base());
    shop.shipping.state.faults.set("POST /shipments", {
      route: "POST /shipments",
      mode: "delay",
      delayMs: 1_600,
    });
    // Little time left in each invocation: no step runs inline, every step is a queued task.
    const result = await run(h, "order_processing", order, {
      workers: 2,
      visibilitySeconds: 1,
      remainingMs: 5_000,
    });
    expect(result.state?.status).toBe("succeeded");
    outcomesOnce(result.events);
    // Both workers called shipping, with the same key; the service performed it once.
    const calls = shop.shipping.state.calls.filter((c) => c.route === "POST /shipments");
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(calls.map((c) => c.idempotencyKey)).size).toBe(1);
    expect(shop.shipping.effects()).toHaveLength(1);
  });

  it("repeats the call with the same key after a crash between the call and its checkpoint", async () => {
    let crashed = false;
    const h = await createHarness({ dynamodb: endpoint as string, sqs: sqsEndpoint() }, base(), {
      wrapLog: (log) => ({
        ...log,
        async append(runId, seq, events, options) {
          const shipped = events.some(
            (e) => e.type === "step_succeeded" && e.stepId === "book_shipment",
          );
          if (shipped && !crashed) {
            crashed = true;
            throw new Error("worker died before its checkpoint");
          }
          return log.append(runId, seq, events, options);
        },
      }),
    });
    const result = await run(h, "order_processing", order, { visibilitySeconds: 1 });
    expect(crashed).toBe(true);
    expect(result.state?.status).toBe("succeeded");
    outcomesOnce(result.events);
    expect(shop.shipping.state.calls.filter((c) => c.route === "POST /shipments")).toHaveLength(2);
    expect(shop.shipping.effects()).toHaveLength(1);
  });

  it("rides out DynamoDB throttling through the SDK's retries without duplicate records", async () => {
    const h = await createHarness({ dynamodb: endpoint as string, sqs: sqsEndpoint() }, base());
    let throttled = 0;
    h.deps.dynamo.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "PutItemCommand" && throttled < 3) {
          throttled++;
          throw new ProvisionedThroughputExceededException({
            message: "injected",
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: "finalizeRequest", priority: "low", name: "injectThrottling" },
    );
    const result = await run(h, "order_processing", order);
    expect(throttled).toBe(3);
    expect(result.state?.status).toBe("succeeded");
    outcomesOnce(result.events);
  });

  it("moves a poison message to the dead-letter queue instead of looping", async () => {
    const h = await createHarness({ dynamodb: endpoint as string, sqs: sqsEndpoint() }, base(), {
      maxReceiveCount: 2,
    });
    await h.sqs.send(
      new SendMessageCommand({ QueueUrl: h.queues.step, MessageBody: "{not a task" }),
    );
    let polls = 0;
    await h
      .drain(async () => ++polls > 40, { visibilitySeconds: 1, timeoutMs: 20_000 })
      .catch(() => {});
    expect(await h.receiveCount(h.queues.stepDlq)).toBe(1);
    expect(await h.receiveCount(h.queues.step)).toBe(0);
  });

  it("marks the run when a task fails on every delivery, before it goes to the DLQ", async () => {
    const h = await createHarness({ dynamodb: endpoint as string, sqs: sqsEndpoint() }, base(), {
      maxReceiveCount: 2,
      wrapLog: (log) => ({
        ...log,
        async append(runId, seq, events, options) {
          if (events.some((e) => e.type === "step_succeeded" && e.stepId === "book_shipment")) {
            throw new Error("store rejects this checkpoint");
          }
          return log.append(runId, seq, events, options);
        },
      }),
    });
    const result = await run(h, "order_processing", order, {
      visibilitySeconds: 1,
      remainingMs: 5_000,
    });
    expect(result.state?.status).toBe("compensated");
    expect(result.state?.failure?.error.message).toContain(
      'a task for step "book_shipment" failed on every delivery',
    );
    // No crash loop: once the run is marked, the task is either in the DLQ or, delivered
    // once more, stale and acknowledged; the step queue drains either way.
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await h.receiveCount(h.queues.step)).toBe(0);
  });
});
