/**
 * Starts runs that come from the run-request queue or from an EventBridge schedule, through
 * the same start-run path as the API. Queue records fail individually (partial batch
 * response); a request naming an unknown workflow is a poison message and goes to the DLQ.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { startRun } from "../runtime/start-run.js";
import { type AwsDeps, runMetrics } from "./aws-deps.js";

export interface RunRequest {
  readonly workflow: string;
  readonly version?: string;
  readonly input?: unknown;
  readonly idempotencyKey?: string;
  /** Set by schedules: the expression and the time the run was due, for an idempotency key. */
  readonly schedule?: string;
  readonly scheduledTime?: string;
}

function parseRequest(value: unknown): RunRequest {
  const r = value as Partial<RunRequest> | null;
  if (!r || typeof r !== "object" || typeof r.workflow !== "string") {
    throw new Error("run request must be a JSON object with a workflow name");
  }
  return r as RunRequest;
}

export async function startRequested(d: AwsDeps, request: RunRequest) {
  const workflow = request.version
    ? await d.workflows.get(request.workflow, request.version)
    : await d.workflows.latest(request.workflow);
  if (!workflow)
    throw new Error(`workflow ${request.workflow}@${request.version ?? "latest"} is not deployed`);
  // A schedule fires at least once per due time: the due time makes repeats idempotent.
  const key =
    request.idempotencyKey ??
    (request.scheduledTime
      ? `schedule/${workflow.name}/${request.schedule ?? ""}/${request.scheduledTime}`
      : undefined);
  const started = await startRun(d, {
    workflow,
    input: request.input ?? {},
    ...(key !== undefined && { idempotencyKey: key }),
  });
  d.logger.info(started.created ? "run started" : "run already started", {
    runId: started.runId,
    workflow: workflow.name,
    version: workflow.version,
  });
  return started;
}

function isSqsEvent(event: unknown): event is SQSEvent {
  return Array.isArray((event as SQSEvent | null)?.Records);
}

export function createTriggerHandler(deps: () => Promise<AwsDeps>) {
  const processor = new BatchProcessor(EventType.SQS);
  return async (
    event: SQSEvent | RunRequest,
    context: Context,
  ): Promise<SQSBatchResponse | { runId: string }> => {
    const d = await deps();
    if (!isSqsEvent(event)) {
      const started = await startRequested(d, parseRequest(event));
      runMetrics.publishStoredMetrics();
      return { runId: started.runId };
    }
    const handleRecord = async (record: SQSRecord) => {
      let body: unknown;
      try {
        body = JSON.parse(record.body);
      } catch {
        throw new Error("run request is not JSON");
      }
      await startRequested(d, parseRequest(body));
    };
    try {
      return await processPartialResponse(event, handleRecord, processor, { context });
    } finally {
      runMetrics.publishStoredMetrics();
    }
  };
}
