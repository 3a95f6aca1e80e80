import {
  DeleteQueueCommand,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { createSqsTaskQueue, createTaskQueues } from "../../src/adapters/sqs/index.js";
import { MaestroError } from "../../src/errors.js";
import type { Logger } from "../../src/ports/logger.js";
import type { ReceivedTask, Task } from "../../src/ports/task-queue.js";
import { runTaskQueueContract } from "../contracts/task-queue-contract.js";
import { localSqsClient, sqsEndpoint, uniqueName } from "../emulators/endpoints.js";

const endpoint = sqsEndpoint();

/** A fresh queue with its dead-letter queue, and a way to delete both. */
async function newQueues(client: SQSClient, maxReceiveCount = 5) {
  const queues = await createTaskQueues(client, uniqueName("tasks"), { maxReceiveCount });
  const cleanup = async () => {
    for (const url of [queues.queueUrl, queues.deadLetterQueueUrl]) {
      await client.send(new DeleteQueueCommand({ QueueUrl: url }));
    }
  };
  return { ...queues, cleanup };
}

// Whole seconds: SQS rounds delays and waits up to seconds, so a scaled-down suite would
// wait longer than its assertions allow.
runTaskQueueContract(
  "sqs",
  async () => {
    const client = localSqsClient(endpoint);
    const { queueUrl, cleanup } = await newQueues(client);
    return { queue: createSqsTaskQueue({ client, queueUrl }), cleanup };
  },
  { timeScale: 1 },
);

describe("SQS task queue (fauxqs)", () => {
  it("sends 25 tasks in three batches, rounding delays up to whole seconds, at most 900", async () => {
    const client = localSqsClient(endpoint);
    const batches = recordBatches(client);
    const { queueUrl, cleanup } = await newQueues(client);
    const queue = createSqsTaskQueue({ client, queueUrl });
    const tasks = Array.from({ length: 25 }, (_, i) => ({ task: step(`s${i}`) }));

    await queue.send([
      ...tasks.slice(0, 22),
      { task: step("s22"), delayMs: 1 },
      { task: step("s23"), delayMs: 1_500 },
      { task: step("s24"), delayMs: 7_200_000 },
    ]);

    expect(batches.map((b) => b.Entries?.length)).toEqual([10, 10, 5]);
    expect(batches[2]?.Entries?.map((e) => e.DelaySeconds)).toEqual([
      undefined,
      undefined,
      1,
      2,
      900,
    ]);
    const received = await drain(queue, 22);
    expect(received.map((r) => r.task.stepId).sort()).toEqual(
      tasks
        .slice(0, 22)
        .map((t) => t.task.stepId)
        .sort(),
    );
    await cleanup();
  });

  it("sends the failed entries of a batch once more", async () => {
    const client = localSqsClient(endpoint);
    const calls = failEntries(client, (call, id) => call === 1 && (id === "3" || id === "7"));
    const { queueUrl, cleanup } = await newQueues(client);
    const queue = createSqsTaskQueue({ client, queueUrl });
    const tasks = Array.from({ length: 10 }, (_, i) => ({ task: step(`s${i}`) }));

    await queue.send(tasks);

    expect(calls).toEqual([10, 2]);
    const received = await drain(queue, 10);
    expect(received.map((r) => r.task.stepId).sort()).toEqual(
      tasks.map((t) => t.task.stepId).sort(),
    );
    await cleanup();
  });

  it("throws when entries fail twice", async () => {
    const client = localSqsClient(endpoint);
    const calls = failEntries(client, (_, id) => id === "0");
    const { queueUrl, cleanup } = await newQueues(client);
    const queue = createSqsTaskQueue({ client, queueUrl });

    const error = await queue.send([{ task: step("a") }, { task: step("b") }]).catch((e) => e);

    expect(calls).toEqual([2, 1]);
    expect(error).toBeInstanceOf(MaestroError);
    expect(error).toMatchObject({ code: "unavailable", retryable: true });
    await cleanup();
  });

  it("skips a poison message until the redrive policy moves it to the dead-letter queue", async () => {
    const client = localSqsClient(endpoint);
    const { queueUrl, deadLetterQueueUrl, cleanup } = await newQueues(client, 2);
    const warnings: unknown[] = [];
    const queue = createSqsTaskQueue({ client, queueUrl, logger: recordingLogger(warnings) });
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "not a task" }));
    await queue.send([{ task: step("good") }]);

    // Visibility 0: the poison message is back at once, so each receive counts one more.
    const first = await drain(queue, 1, 0);
    for (const r of first) await queue.ack(r.receipt);
    expect(first.map((r) => r.task.stepId)).toEqual(["good"]);
    for (let i = 0; i < 3; i++) {
      expect(await queue.receive({ max: 10, waitMs: 0, visibilityMs: 0 })).toEqual([]);
    }

    const dead = await client.send(
      new ReceiveMessageCommand({ QueueUrl: deadLetterQueueUrl, WaitTimeSeconds: 1 }),
    );
    expect(dead.Messages?.map((m) => m.Body)).toEqual(["not a task"]);
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    await cleanup();
  });

  it("takes an ack of a receipt SQS calls invalid as done", async () => {
    const client = localSqsClient(endpoint);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== "DeleteMessageCommand") return next(args);
        throw new ReceiptHandleIsInvalid({
          message: "The input receipt handle is invalid.",
          $metadata: {},
        });
      },
      { step: "initialize", name: "invalidReceipt" },
    );
    const { queueUrl, cleanup } = await newQueues(client);

    await expect(createSqsTaskQueue({ client, queueUrl }).ack("r-1")).resolves.toBeUndefined();
    await cleanup();
  });

  it("turns SDK errors into MaestroErrors", async () => {
    const client = localSqsClient(endpoint);
    const { queueUrl, cleanup } = await newQueues(client);
    await cleanup();
    const queue = createSqsTaskQueue({ client, queueUrl });

    const error = await queue.receive({ max: 1, waitMs: 0 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MaestroError);
    expect(error).toMatchObject({ code: "failed_precondition", retryable: false });
    await expect(queue.send([{ task: step("a") }])).rejects.toBeInstanceOf(MaestroError);
  });
});

function step(stepId: string): Task {
  return { kind: "step", runId: "run-1", stepId, attempt: 1 };
}

/** Receives (and acks) until `count` tasks came or 5 s passed. */
async function drain(
  queue: ReturnType<typeof createSqsTaskQueue>,
  count: number,
  visibilityMs = 30_000,
): Promise<ReceivedTask[]> {
  const received: ReceivedTask[] = [];
  const until = Date.now() + 5_000;
  while (received.length < count && Date.now() < until) {
    const batch = await queue.receive({ max: 10, waitMs: 1_000, visibilityMs });
    if (visibilityMs > 0) for (const r of batch) await queue.ack(r.receipt);
    received.push(...batch);
  }
  return received;
}

/** Records the input of every SendMessageBatch call. */
function recordBatches(client: SQSClient): SendMessageBatchCommandInput[] {
  const inputs: SendMessageBatchCommandInput[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "SendMessageBatchCommand") {
        inputs.push(structuredClone(args.input as SendMessageBatchCommandInput));
      }
      return next(args);
    },
    { step: "initialize", name: "recordBatches" },
  );
  return inputs;
}

/**
 * Makes the entries for which `fails(call, id)` holds fail without reaching the queue, as SQS
 * reports per-entry failures. Returns the entry count of each call.
 */
function failEntries(client: SQSClient, fails: (call: number, id: string) => boolean): number[] {
  const counts: number[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== "SendMessageBatchCommand") return next(args);
      const input = args.input as SendMessageBatchCommandInput;
      const call = counts.push(input.Entries?.length ?? 0);
      const entries = input.Entries ?? [];
      const failing = entries.filter((e) => fails(call, e.Id ?? ""));
      const passing = entries.filter((e) => !failing.includes(e));
      const result =
        passing.length > 0
          ? await next({ ...args, input: { ...input, Entries: passing } })
          : { output: { Successful: [], $metadata: {} }, response: {} };
      const output = result.output as SendMessageBatchCommandOutput;
      const failed = failing.map((e) => ({
        Id: e.Id,
        SenderFault: false,
        Code: "InternalError",
        Message: "injected",
      }));
      return { ...result, output: { ...output, Failed: [...(output.Failed ?? []), ...failed] } };
    },
    { step: "initialize", name: "failEntries" },
  );
  return counts;
}

function recordingLogger(warnings: unknown[]): Logger {
  const logger: Logger = {
    debug() {},
    info() {},
    warn(message, fields) {
      warnings.push({ message, ...fields });
    },
    error() {},
    child: () => logger,
  };
  return logger;
}
