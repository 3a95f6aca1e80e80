/**
 * The step worker and the compensator on Lambda: an SQS batch of tasks, each handled by
 * the worker; a record that fails is reported in `batchItemFailures` so that only it is
 * delivered again (and, after the queue's maxReceiveCount, moved to its DLQ).
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { createDynamoGuardStore } from "../adapters/dynamodb/guard-store.js";
import { decodeTask } from "../adapters/sqs/index.js";
import type { CallGuard } from "../ports/call-guard.js";
import { createCallGuard } from "../resilience/index.js";
import { markUnprocessable } from "../runtime/run-control.js";
import { createWorker } from "../runtime/worker.js";
import { type AwsDeps, runMetrics } from "./aws-deps.js";

/** Time kept back from the fast path so a step started inline can finish within the invocation. */
const FAST_PATH_MARGIN_MS = 5_000;

let guard: CallGuard | undefined;

/** Breakers and limits shared by every worker through the table; one guard per instance (its cache). */
function guardFor(d: AwsDeps): CallGuard {
  guard ??= createCallGuard({
    store: createDynamoGuardStore({ client: d.dynamo, tableName: d.config.tableName }),
    clock: d.clock,
    logger: d.logger,
  });
  return guard;
}

export function createTaskHandler(deps: () => Promise<AwsDeps>, env = process.env) {
  // After this many deliveries SQS moves a task to the DLQ (the stack sets the value).
  const maxReceives = Number(env.MAESTRO_MAX_RECEIVE_COUNT ?? 5);
  const processor = new BatchProcessor(EventType.SQS);
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const d = await deps();
    // On Lambda the fast path is bounded by the invocation's remaining time, not a step count.
    const worker = createWorker({
      ...d,
      guard: guardFor(d),
      fastPathSteps: Number.POSITIVE_INFINITY,
    });
    const longestCall = Math.max(
      0,
      ...(await d.workflows.list()).flatMap((w) =>
        [...w.services.values()].map((s) => s.timeoutMs),
      ),
    );
    const fastPathUntil =
      Date.now() + context.getRemainingTimeInMillis() - longestCall - FAST_PATH_MARGIN_MS;
    const handleRecord = async (record: SQSRecord) => {
      const task = decodeTask(record.body);
      if (!task) {
        // Failing the record lets the queue's redrive policy move it to the DLQ.
        d.logger.error("message is not a task", { messageId: record.messageId });
        throw new Error(`message ${record.messageId} is not a task`);
      }
      try {
        const redelivered = Number(record.attributes.ApproximateReceiveCount) > 1;
        await worker.handle(task, { fastPathUntil, redelivered });
      } catch (error) {
        const receives = Number(record.attributes.ApproximateReceiveCount);
        if (receives >= maxReceives) {
          // Last delivery: mark the run before the task leaves for the DLQ. Best effort: if
          // the store is what fails, the sweeper and the DLQ alarm remain.
          await markUnprocessable(d, task, (error as Error).message).catch(() => undefined);
        }
        d.logger.error("task failed; it will be delivered again", {
          runId: task.runId,
          stepId: task.stepId,
          receiveCount: record.attributes.ApproximateReceiveCount,
          error: (error as Error).message,
        });
        throw error;
      }
    };
    try {
      return await processPartialResponse(event, handleRecord, processor, { context });
    } finally {
      runMetrics.publishStoredMetrics();
    }
  };
}
