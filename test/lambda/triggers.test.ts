/**
 * The run-trigger handler (run-request queue and EventBridge schedule events) and the
 * sweeper handler, through the harness against the emulators.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Shop, startShop } from "../../examples/services/shop.js";
import { FINAL_STATUSES } from "../../src/engine/events.js";
import { fold } from "../../src/engine/state.js";
import { createSweeperHandler } from "../../src/lambda/sweeper-handler.js";
import { createTriggerHandler } from "../../src/lambda/trigger-handler.js";
import { silentLogger } from "../../src/ports/logger.js";
import type { TaskSender } from "../../src/ports/task-queue.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { withEndpoints } from "../../src/workflow/endpoints.js";
import type { Workflow } from "../../src/workflow/model.js";
import { dynamodbEndpoint, sqsEndpoint } from "../emulators/endpoints.js";
import { workflowFile } from "../helpers/workflows.js";
import { createHarness, lambdaContext } from "./harness.js";

const endpoint = dynamodbEndpoint();
let shop: Shop;
let workflow: Workflow;
const order = { order_id: "o-t", items: [], amount_cents: 100, address: "here" };

beforeAll(async () => {
  shop = await startShop();
  const overrides = new Map(Object.entries(shop.endpoints).map(([k, v]) => [k, [v]]));
  workflow = withEndpoints(
    await workflowFile("examples/workflows/order_processing.yaml"),
    overrides,
  );
});
afterAll(() => shop.close());

const sqsRecord = (body: string, id = crypto.randomUUID()) => ({
  messageId: id,
  receiptHandle: id,
  body,
  attributes: {
    ApproximateReceiveCount: "1",
    SentTimestamp: "0",
    SenderId: "x",
    ApproximateFirstReceiveTimestamp: "0",
  },
  messageAttributes: {},
  md5OfBody: "",
  eventSource: "aws:sqs",
  eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:runs",
  awsRegion: "us-east-1",
});

describe.skipIf(!endpoint)("run-trigger and sweeper handlers", () => {
  const setup = (wrapQueue?: (q: TaskSender) => TaskSender) =>
    createHarness(
      { dynamodb: endpoint as string, sqs: sqsEndpoint() },
      { workflows: staticWorkflows([workflow]), logger: silentLogger },
      wrapQueue ? { wrapQueue } : {},
    );

  async function finished(h: Awaited<ReturnType<typeof setup>>, runId: string) {
    const loaded = await h.deps.log.load(runId);
    const state = loaded && fold(loaded.snapshot, loaded.events);
    return state !== undefined && FINAL_STATUSES.has(state.status) ? state : undefined;
  }

  it("starts runs from queued requests, failing only the bad record", async () => {
    const h = await setup();
    const handler = createTriggerHandler(async () => h.deps);
    const good = sqsRecord(
      JSON.stringify({ workflow: "order_processing", input: order, idempotencyKey: "req-1" }),
    );
    const unknown = sqsRecord(JSON.stringify({ workflow: "nope" }));
    const garbage = sqsRecord("{not json");
    const response = await handler({ Records: [good, unknown, garbage] }, lambdaContext());
    const failed = (response as { batchItemFailures: { itemIdentifier: string }[] })
      .batchItemFailures;
    expect(failed.map((f) => f.itemIdentifier).sort()).toEqual(
      [unknown.messageId, garbage.messageId].sort(),
    );
    const runs = (await h.deps.log.list({ workflow: "order_processing" })).runs;
    expect(runs).toHaveLength(1);
    await h.drain(async () => (await finished(h, runs[0]?.runId ?? "")) !== undefined);
    // The same request again (a redelivery) starts nothing new.
    await handler({ Records: [sqsRecord(good.body)] }, lambdaContext());
    expect((await h.deps.log.list({ workflow: "order_processing" })).runs).toHaveLength(1);
  });

  it("starts one run per scheduled occurrence, however often EventBridge delivers it", async () => {
    const h = await setup();
    const handler = createTriggerHandler(async () => h.deps);
    const event = {
      workflow: "order_processing",
      version: "1.0",
      input: order,
      schedule: "rate(5 minutes)",
      scheduledTime: "2026-11-22T23:35:00Z",
    };
    const first = (await handler(event, lambdaContext())) as { runId: string };
    const again = (await handler(event, lambdaContext())) as { runId: string };
    expect(again.runId).toBe(first.runId);
    await h.drain(async () => (await finished(h, first.runId)) !== undefined);
    expect((await finished(h, first.runId))?.status).toBe("succeeded");
  });

  it("re-drives a run whose task was lost", async () => {
    // Every task sent is lost, as if SQS had dropped it.
    let lose = true;
    const h = await setup((inner) => ({
      send: async (tasks) => (lose ? undefined : inner.send(tasks)),
    }));
    const started = await h.api("POST", "/v1/runs", { workflow: "order_processing", input: order });
    const runId = started.body.runId as string;
    lose = false;
    const sweeper = createSweeperHandler(async () => ({
      ...h.deps,
      clock: { now: () => Date.now() + 3 * 60_000 },
    }));
    const report = (await sweeper()) as { examined: number; redriven: number };
    expect(report, JSON.stringify(report)).toMatchObject({ redriven: 1 });
    await h.drain(async () => (await finished(h, runId)) !== undefined);
    expect((await finished(h, runId))?.status).toBe("succeeded");
  });
});
