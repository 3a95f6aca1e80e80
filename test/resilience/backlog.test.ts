import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { createSqsBacklogProbe } from "../../src/adapters/sqs/index.js";
import { memoryBacklogProbe, overflowCheck } from "../../src/resilience/index.js";
import { localSqsClient, sqsEndpoint, uniqueName } from "../emulators/endpoints.js";
import { createFakeClock } from "../helpers/fake-clock.js";
import { captureLogger } from "./helpers.js";

describe("overflow check", () => {
  it("accepts up to the bound, and whenever the depth or the bound is unknown", () => {
    expect(overflowCheck(100, 100)).toEqual({ ok: true });
    expect(overflowCheck(0, 100)).toEqual({ ok: true });
    expect(overflowCheck(undefined, 100)).toEqual({ ok: true });
    expect(overflowCheck(1e9, undefined)).toEqual({ ok: true });
  });

  it("turns away past the bound, with a Retry-After that grows with the excess", () => {
    expect(overflowCheck(101, 100)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(overflowCheck(200, 100)).toEqual({ ok: false, retryAfterSeconds: 10 });
    expect(overflowCheck(10_000, 100)).toEqual({ ok: false, retryAfterSeconds: 60 });
    expect(overflowCheck(10_000, 100, { maxRetryAfterSeconds: 300 })).toEqual({
      ok: false,
      retryAfterSeconds: 300,
    });
  });

  it("says how long the excess takes to drain when the drain rate is known", () => {
    expect(overflowCheck(1_500, 1_000, { drainPerSecond: 100 })).toEqual({
      ok: false,
      retryAfterSeconds: 5,
    });
    expect(overflowCheck(1_001, 1_000, { drainPerSecond: 100 })).toEqual({
      ok: false,
      retryAfterSeconds: 1,
    });
  });
});

describe("memory backlog probe", () => {
  it("reports the queue's messages not yet acked, delayed and in flight included", async () => {
    const queue = createMemoryTaskQueue();
    const probe = memoryBacklogProbe(queue);
    const task = { kind: "step", runId: "r", stepId: "s", attempt: 1 } as const;
    await queue.send([{ task }, { task, delayMs: 60_000 }, { task }]);
    await queue.receive({ max: 1, waitMs: 0 });
    expect(await probe.depth()).toBe(3);
  });
});

describe("SQS backlog probe (SQS emulator)", () => {
  const endpoint = sqsEndpoint();

  async function newQueue(client: SQSClient) {
    const created = await client.send(new CreateQueueCommand({ QueueName: uniqueName("backlog") }));
    const queueUrl = created.QueueUrl ?? "";
    return { queueUrl, cleanup: () => client.send(new DeleteQueueCommand({ QueueUrl: queueUrl })) };
  }

  it("counts visible, delayed and in-flight messages, asking SQS once per cache period", async () => {
    const client = localSqsClient(endpoint);
    const { queueUrl, cleanup } = await newQueue(client);
    try {
      const asked: string[] = [];
      (client.middlewareStack as { add: (mw: unknown, opts: unknown) => void }).add(
        (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
          async (args: unknown) => {
            if (context.commandName === "GetQueueAttributesCommand") asked.push("get");
            return next(args);
          },
        { step: "initialize", name: "countAttributes" },
      );
      const clock = createFakeClock();
      const probe = createSqsBacklogProbe({ client, queueUrl, clock, cacheMs: 5_000 });
      for (const body of ["a", "b", "c"]) {
        await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
      }
      await client.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "later", DelaySeconds: 600 }),
      );
      await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 1,
          VisibilityTimeout: 600,
        }),
      );
      const [a, b] = await Promise.all([probe.depth(), probe.depth()]);
      expect([a, b]).toEqual([4, 4]);
      expect(asked).toHaveLength(1);
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "d" }));
      clock.advance(4_999);
      expect(await probe.depth()).toBe(4);
      clock.advance(1);
      expect(await probe.depth()).toBe(5);
      expect(asked).toHaveLength(2);
    } finally {
      await cleanup();
    }
  });

  it("reports an unknown depth, and logs why, when SQS cannot answer", async () => {
    const client = localSqsClient(endpoint);
    const logger = captureLogger();
    const probe = createSqsBacklogProbe({
      client,
      queueUrl: `${endpoint}/000000000000/${uniqueName("missing")}`,
      logger,
    });
    expect(await probe.depth()).toBeUndefined();
    expect(logger.lines).toMatchObject([{ level: "warn", message: "queue depth unknown" }]);
  });
});
