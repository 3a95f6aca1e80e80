/**
 * Everything a Maestro Lambda function needs, built once per cold start from the
 * environment: the DynamoDB saga log, the SQS queues (step and compensation tasks routed
 * by kind), the service callers and the workflows bundled with the function.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { createDynamoSagaLog } from "../adapters/dynamodb/index.js";
import { createDynamoRunSlotStore } from "../adapters/dynamodb/run-slot-store.js";
import { routeByKind } from "../adapters/routing-queue.js";
import { sealedSagaLog } from "../adapters/sealing/sealed-saga-log.js";
import type { SealingKeys } from "../adapters/sealing/sealing-keys.js";
import { createSqsTaskQueue } from "../adapters/sqs/index.js";
import { dispatchByType } from "../callers/dispatch.js";
import { type Clock, systemClock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { SagaLog } from "../ports/saga-log.js";
import { noSecrets, type SecretStore } from "../ports/secrets.js";
import type { ServiceCaller } from "../ports/service-caller.js";
import type { TaskSender } from "../ports/task-queue.js";
import { createRunAdmission, type RunAdmission } from "../runtime/run-admission.js";
import { directoryWorkflows, type WorkflowCatalog } from "../runtime/workflow-source.js";
import { type LambdaConfig, readConfig } from "./config.js";
import { lambdaLogger } from "./logger.js";
import { createRunMetrics, meteredLog } from "./run-metrics.js";
import { lambdaSealingKeys } from "./sealing.js";

export interface AwsDeps {
  readonly config: LambdaConfig;
  readonly log: SagaLog;
  readonly queue: TaskSender;
  readonly caller: ServiceCaller;
  readonly workflows: WorkflowCatalog;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly newId: () => string;
  readonly secrets: SecretStore;
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  /** Workflows' concurrency limits, with their slots on the saga table. */
  readonly admission: RunAdmission;
}

/** EMF metrics of this function instance; handlers flush them at the end of each invocation. */
export const runMetrics = createRunMetrics();

/** Builds the dependencies; `overrides` lets tests and the local harness swap parts. */
export async function createAwsDeps(
  overrides: Partial<AwsDeps> & { env?: Record<string, string | undefined> } = {},
) {
  const config = overrides.config ?? readConfig(overrides.env);
  const endpoint = config.endpoint === undefined ? {} : { endpoint: config.endpoint };
  const dynamo = overrides.dynamo ?? new DynamoDBClient(endpoint);
  const sqs = overrides.sqs ?? new SQSClient(endpoint);
  const queue =
    overrides.queue ??
    routeByKind({
      step: createSqsTaskQueue({ client: sqs, queueUrl: config.stepQueueUrl }),
      wake: createSqsTaskQueue({ client: sqs, queueUrl: config.stepQueueUrl }),
      compensate: createSqsTaskQueue({ client: sqs, queueUrl: config.compensationQueueUrl }),
    });
  const workflows = overrides.workflows ?? (await directoryWorkflows(config.workflowsDir));
  const logger = overrides.logger ?? lambdaLogger();
  const sealing = await lambdaSealingKeys(config, workflows, logger);
  const deps: AwsDeps = {
    config,
    dynamo,
    sqs,
    log: overrides.log ?? sagaLog(config, dynamo, workflows, sealing),
    queue,
    // Only the workers call services; the other functions get a caller and a secret store
    // that have none, so their bundles leave the gRPC and HTTP clients and the secrets
    // providers out.
    caller: overrides.caller ?? dispatchByType({}),
    workflows,
    clock: overrides.clock ?? systemClock,
    logger,
    newId: overrides.newId ?? randomUUID,
    secrets: overrides.secrets ?? noSecrets,
    admission:
      overrides.admission ??
      createRunAdmission({
        store: createDynamoRunSlotStore({ client: dynamo, tableName: config.tableName }),
        ...(overrides.clock && { clock: overrides.clock }),
        ...(overrides.logger && { logger: overrides.logger }),
        // Slot records live in the table too: a key from sensitive input is not stored.
        ...(sealing && { keyDigest: sealing.digest }),
      }),
  };
  return deps;
}

/** The table's saga log, sealing sensitive values when a key is configured, and metered. */
function sagaLog(
  config: LambdaConfig,
  dynamo: DynamoDBClient,
  workflows: WorkflowCatalog,
  keys: SealingKeys | undefined,
): SagaLog {
  const table = createDynamoSagaLog({ client: dynamo, tableName: config.tableName });
  const log = keys ? sealedSagaLog(table, { keys, workflows }) : table;
  return meteredLog(log, runMetrics);
}

let cached: Promise<AwsDeps> | undefined;

/** The cold-start singleton used by the entry points in functions/. */
export function awsDeps(overrides: () => Partial<AwsDeps> = () => ({})): Promise<AwsDeps> {
  cached ??= createAwsDeps(overrides()).catch((error) => {
    // A failed cold start must not poison later invocations: try again next time.
    cached = undefined;
    throw error;
  });
  return cached;
}
