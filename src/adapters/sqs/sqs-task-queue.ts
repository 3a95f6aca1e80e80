/**
 * The task queue on SQS (standard queue: at-least-once, unordered, as the port allows).
 *
 * SQS counts time in whole seconds: delays, waits and visibility timeouts are rounded up, so a
 * task is never delivered earlier than asked, and a receive may wait up to a second longer.
 */
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { MaestroError } from "../../errors.js";
import { type Logger, silentLogger } from "../../ports/logger.js";
import type { OutgoingTask, ReceivedTask, TaskQueue } from "../../ports/task-queue.js";
import { isStaleReceipt, queueError } from "./queue-errors.js";
import { decodeTask, encodeTask } from "./task-codec.js";

/** Options for {@link createSqsTaskQueue}. */
export interface SqsTaskQueueOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** Told about poison messages. @default silentLogger */
  readonly logger?: Logger;
}

const BATCH_SIZE = 10;
/** SQS's longest DelaySeconds; the worker chains longer waits. */
export const MAX_DELAY_SECONDS = 900;
const MAX_WAIT_SECONDS = 20;
const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * Creates a task queue on an existing SQS queue.
 *
 * A message whose body is not a task (a poison message) is not returned and not deleted: it
 * reappears after each visibility timeout until the queue's redrive policy moves it to the
 * dead-letter queue after `maxReceiveCount` receives, where an operator can look at it. A
 * queue without a redrive policy would keep it forever; {@link createTaskQueues} sets one.
 *
 * @example
 * const queue = createSqsTaskQueue({ client: new SQSClient({}), queueUrl: process.env.QUEUE_URL });
 */
export function createSqsTaskQueue(options: SqsTaskQueueOptions): TaskQueue {
  const { client, queueUrl } = options;
  const logger = options.logger ?? silentLogger;

  async function sendBatch(batch: readonly OutgoingTask[]): Promise<void> {
    let entries: SendMessageBatchRequestEntry[] = batch.map(({ task, delayMs }, i) => ({
      Id: String(i),
      MessageBody: encodeTask(task),
      ...(delayMs !== undefined &&
        delayMs > 0 && { DelaySeconds: seconds(delayMs, MAX_DELAY_SECONDS) }),
    }));
    // Entries fail one by one (throttling, an internal error); the others were sent. Those are
    // tried once more, then the caller hears of it: the log is the truth and the sweeper
    // re-sends what a lost task would have carried, so failing loudly is enough.
    for (let attempt = 1; ; attempt++) {
      let failed: { Id?: string; Code?: string; SenderFault?: boolean }[];
      try {
        const output = await client.send(
          new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }),
        );
        failed = output.Failed ?? [];
      } catch (error) {
        throw queueError(error, `sending ${entries.length} tasks`);
      }
      if (failed.length === 0) return;
      const failedIds = new Set(failed.map((f) => f.Id));
      entries = entries.filter((entry) => failedIds.has(entry.Id));
      if (attempt >= 2) {
        const codes = [...new Set(failed.map((f) => f.Code ?? "unknown"))].join(", ");
        const code = failed.every((f) => f.SenderFault) ? "invalid_argument" : "unavailable";
        throw new MaestroError(code, `SQS: ${failed.length} tasks could not be sent: ${codes}`, {
          details: { failed },
        });
      }
    }
  }

  return {
    async send(tasks) {
      const batches: OutgoingTask[][] = [];
      for (let i = 0; i < tasks.length; i += BATCH_SIZE) {
        batches.push(tasks.slice(i, i + BATCH_SIZE));
      }
      await Promise.all(batches.map(sendBatch));
    },

    async receive({ max, waitMs, visibilityMs }) {
      if (!Number.isInteger(max) || max < 1 || max > BATCH_SIZE) {
        throw new MaestroError(
          "invalid_argument",
          `max must be an integer from 1 to ${BATCH_SIZE}, got ${max}`,
        );
      }
      const messages = await client
        .send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: max,
            WaitTimeSeconds: seconds(waitMs, MAX_WAIT_SECONDS),
            ...(visibilityMs !== undefined && {
              VisibilityTimeout: seconds(visibilityMs, MAX_VISIBILITY_SECONDS),
            }),
            MessageSystemAttributeNames: ["ApproximateReceiveCount"],
          }),
        )
        .then(
          (output) => output.Messages ?? [],
          (error: unknown) => {
            throw queueError(error, "receiving tasks");
          },
        );
      const received: ReceivedTask[] = [];
      for (const message of messages) {
        const task = decodeTask(message.Body);
        const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
        if (!task || message.ReceiptHandle === undefined) {
          logger.warn("poison message left for the dead-letter queue", {
            messageId: message.MessageId,
            receiveCount,
            body: message.Body?.slice(0, 200),
          });
          continue;
        }
        received.push({ task, receipt: message.ReceiptHandle, receiveCount });
      }
      return received;
    },

    async ack(receipt) {
      try {
        await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receipt }));
      } catch (error) {
        if (isStaleReceipt(error)) return;
        throw queueError(error, "acking a task");
      }
    },
  };
}

/** Whole seconds, rounded up so nothing happens earlier than asked, within SQS's range. */
function seconds(ms: number, max: number): number {
  if (!Number.isFinite(ms) || ms <= 0) return 0;
  return Math.min(max, Math.ceil(ms / 1000));
}
