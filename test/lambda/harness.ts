/**
 * Drives the real Lambda handlers against the emulators the way AWS would: an event source
 * mapping per queue (receive a batch, invoke the handler with a real SQSEvent, delete what
 * succeeded, leave `batchItemFailures` to reappear and eventually move to the DLQ), and API
 * Gateway HTTP API v2 events for the API.
 */

import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { LambdaEvent } from "hono/aws-lambda";
import { createSagaTable } from "../../src/adapters/dynamodb/index.js";
import { generateSealingKey } from "../../src/adapters/sealing/sealing-keys.js";
import { createTaskQueues } from "../../src/adapters/sqs/index.js";
import { createApiHandler } from "../../src/lambda/api-handler.js";
import { type AwsDeps, createAwsDeps } from "../../src/lambda/aws-deps.js";
import { serviceCallers } from "../../src/lambda/service-callers.js";
import { createSweeperHandler } from "../../src/lambda/sweeper-handler.js";
import { createTaskHandler } from "../../src/lambda/task-handler.js";
import type { SagaLog } from "../../src/ports/saga-log.js";
import type { TaskSender } from "../../src/ports/task-queue.js";
import { localDynamoClient, localSqsClient, uniqueName } from "../emulators/clients.js";

export function lambdaContext(remainingMs = 60_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "maestro-test",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:maestro-test",
    memoryLimitInMB: "1024",
    awsRequestId: crypto.randomUUID(),
    logGroupName: "/aws/lambda/maestro-test",
    logStreamName: "test",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** Records every AWS operation a client sends, for request budgets. */
export function countRequests(client: DynamoDBClient | SQSClient, into: string[]): void {
  (client.middlewareStack as { add: (mw: unknown, opts: unknown) => void }).add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: unknown) => {
        into.push(context.commandName ?? "unknown");
        return next(args);
      },
    { step: "initialize", name: "countRequests" },
  );
}

/** A JSON response body, loosely typed for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON fields
export type ApiBody = any;

export interface Harness {
  readonly deps: AwsDeps;
  readonly sqs: SQSClient;
  readonly queues: { step: string; compensation: string; stepDlq: string; compensationDlq: string };
  /** Operation names sent by the runtime's clients (not the harness's own polling). */
  readonly requests: string[];
  /** POST/GET through the api handler with an HTTP API v2 event. */
  api(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: ApiBody; headers: Record<string, string> }>;
  /**
   * Polls both task queues and invokes the handlers until `done()` or the time runs out.
   * `workers` pollers run at once, like concurrent Lambda invocations.
   */
  drain(
    done: () => Promise<boolean>,
    options?: {
      timeoutMs?: number;
      visibilitySeconds?: number;
      workers?: number;
      remainingMs?: number;
    },
  ): Promise<void>;
  sweep(): Promise<unknown>;
  receiveCount(queueUrl: string): Promise<number>;
}

export interface HarnessOptions {
  readonly maxReceiveCount?: number;
  /** Wraps the runtime's task sender (e.g. to deliver every task twice). */
  readonly wrapQueue?: (queue: TaskSender) => TaskSender;
  /** Wraps the runtime's saga log (e.g. to crash around a checkpoint). */
  readonly wrapLog?: (log: SagaLog) => SagaLog;
  /** `MAESTRO_MAX_BACKLOG` of the api function. */
  readonly maxBacklog?: number;
  /** `MAESTRO_SEALING_KEY` of every function. @default a fresh key */
  readonly sealingKey?: string;
}

export async function createHarness(
  endpoints: { dynamodb: string; sqs: string },
  overrides: Partial<AwsDeps> = {},
  options: HarnessOptions = {},
): Promise<Harness> {
  const dynamo = localDynamoClient(endpoints.dynamodb);
  const sqs = localSqsClient(endpoints.sqs);
  const pollClient = localSqsClient(endpoints.sqs);
  const requests: string[] = [];
  countRequests(dynamo, requests);
  countRequests(sqs, requests);
  const tableName = uniqueName("maestro");
  await createSagaTable(dynamo, tableName);
  const step = await createTaskQueues(pollClient, uniqueName("steps"), {
    maxReceiveCount: options.maxReceiveCount ?? 5,
  });
  const compensation = await createTaskQueues(pollClient, uniqueName("undo"), {
    maxReceiveCount: options.maxReceiveCount ?? 5,
  });
  const built = await createAwsDeps({
    config: {
      tableName,
      stepQueueUrl: step.queueUrl,
      compensationQueueUrl: compensation.queueUrl,
      workflowsDir: "examples/workflows",
      ...(options.maxBacklog !== undefined && { maxBacklog: options.maxBacklog }),
      // Every harness run seals its sensitive values, as a deployed stack does.
      sealingKey: options.sealingKey ?? generateSealingKey(),
    },
    dynamo,
    sqs,
    caller: serviceCallers(),
    ...overrides,
  });
  const deps: AwsDeps = {
    ...built,
    queue: options.wrapQueue ? options.wrapQueue(built.queue) : built.queue,
    log: options.wrapLog ? options.wrapLog(built.log) : built.log,
  };
  const load = async () => deps;
  const taskHandler = createTaskHandler(load, {
    MAESTRO_MAX_RECEIVE_COUNT: String(options.maxReceiveCount ?? 5),
  });
  const apiHandler = createApiHandler(load);
  const sweeper = createSweeperHandler(load);

  async function pollOnce(
    queueUrl: string,
    visibilitySeconds: number,
    remainingMs: number,
  ): Promise<number> {
    const received = await pollClient.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: visibilitySeconds,
        MessageSystemAttributeNames: ["All"],
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) return 0;
    const event: SQSEvent = {
      Records: messages.map((m) => ({
        messageId: m.MessageId ?? "",
        receiptHandle: m.ReceiptHandle ?? "",
        body: m.Body ?? "",
        attributes: {
          ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "1",
          SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
          SenderId: "test",
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:queue",
        awsRegion: "us-east-1",
      })),
    };
    let failed = new Set<string>();
    try {
      const response = (await taskHandler(event, lambdaContext(remainingMs))) as SQSBatchResponse;
      failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch {
      // The whole invocation failed: nothing is deleted, every message comes back.
      failed = new Set(event.Records.map((r) => r.messageId));
    }
    const done = messages.filter((m) => !failed.has(m.MessageId ?? ""));
    if (done.length > 0) {
      await pollClient.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
        }),
      );
    }
    return messages.length;
  }

  return {
    deps,
    sqs: pollClient,
    queues: {
      step: step.queueUrl,
      compensation: compensation.queueUrl,
      stepDlq: step.deadLetterQueueUrl,
      compensationDlq: compensation.deadLetterQueueUrl,
    },
    requests,
    async api(method, path, body, headers = {}) {
      const [rawPath, query = ""] = path.split("?");
      const event = {
        version: "2.0",
        routeKey: "$default",
        rawPath,
        rawQueryString: query,
        headers: { "content-type": "application/json", host: "api.local", ...headers },
        requestContext: {
          accountId: "000000000000",
          apiId: "api",
          domainName: "api.local",
          domainPrefix: "api",
          http: {
            method,
            path: rawPath,
            protocol: "HTTP/1.1",
            sourceIp: "127.0.0.1",
            userAgent: "test",
          },
          requestId: crypto.randomUUID(),
          routeKey: "$default",
          stage: "$default",
          time: new Date().toISOString(),
          timeEpoch: Date.now(),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        isBase64Encoded: false,
      } as unknown as LambdaEvent;
      const response = (await apiHandler(event, lambdaContext())) as {
        statusCode: number;
        body: string;
        headers?: Record<string, string>;
      };
      const responseHeaders = response.headers ?? {};
      const json = /json/.test(responseHeaders["content-type"] ?? "application/json");
      return {
        status: response.statusCode,
        body: response.body && json ? JSON.parse(response.body) : response.body || undefined,
        headers: responseHeaders,
      };
    },
    async drain(
      done,
      { timeoutMs = 30_000, visibilitySeconds = 5, workers = 1, remainingMs = 60_000 } = {},
    ) {
      const until = Date.now() + timeoutMs;
      let finished = false;
      const loop = async () => {
        while (!finished && Date.now() < until) {
          if (await done()) {
            finished = true;
            return;
          }
          const handled =
            (await pollOnce(step.queueUrl, visibilitySeconds, remainingMs)) +
            (await pollOnce(compensation.queueUrl, visibilitySeconds, remainingMs));
          if (handled === 0) await new Promise((r) => setTimeout(r, 100));
        }
      };
      await Promise.all(Array.from({ length: workers }, loop));
      if (!finished) throw new Error("drain: timed out");
    },
    sweep: () => sweeper(),
    async receiveCount(queueUrl) {
      const received = await pollClient.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      return received.Messages?.length ?? 0;
    },
  };
}
