import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Tags } from "aws-cdk-lib";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import type { Construct } from "constructs";
import { ACCESS } from "./access.js";
import type { ConsumerId, MaestroEnvironment } from "./config.js";
import { Alarms, RUN_METRICS } from "./constructs/alarms.js";
import { HttpApi } from "./constructs/http-api.js";
import type { FunctionRuntime } from "./constructs/maestro-function.js";
import { QueueWorker } from "./constructs/queue-worker.js";
import { SagaTable } from "./constructs/saga-table.js";
import { SealingKey } from "./constructs/sealing-key.js";
import { grantSecrets, workflowSecrets } from "./constructs/secret-access.js";
import { Sweeper } from "./constructs/sweeper.js";
import { WorkQueue } from "./constructs/work-queue.js";
import { WorkflowSchedules } from "./constructs/workflow-schedules.js";
import { BUNDLE } from "./functions.js";
import { eventBridgeExpressionOf } from "./schedule-expression.js";
import type { WorkflowSet } from "./workflows.js";

export interface MaestroStackProps extends StackProps {
  readonly config: MaestroEnvironment;
  readonly workflows: WorkflowSet;
}

/**
 * One environment of Maestro: the saga table, the three task queues with their DLQs, the
 * five functions, the HTTP API, the schedules and the alarms. Every name starts with the
 * environment's prefix, so environments coexist in one account.
 */
export class MaestroStack extends Stack {
  constructor(scope: Construct, id: string, props: MaestroStackProps) {
    super(scope, id, props);
    const { config, workflows } = props;
    const prefix = config.namePrefix;
    Tags.of(this).add("maestro:environment", config.name);

    const table = new SagaTable(this, "SagaTable", {
      tableName: `${prefix}-sagas`,
      protectData: config.protectData,
    });
    const queueFor = (id: string, name: string, consumer: ConsumerId) =>
      new WorkQueue(this, id, {
        queueName: `${prefix}-${name}`,
        consumerTimeout: Duration.seconds(config.functions[consumer].timeoutSeconds),
        batchingWindow: Duration.seconds(config.consumers[consumer].maxBatchingWindowSeconds),
        maxReceiveCount: config.consumers[consumer].maxReceiveCount,
      });
    const stepQueue = queueFor("StepQueue", "step-tasks", "stepWorker");
    const compensationQueue = queueFor("CompensationQueue", "compensation-tasks", "compensator");
    const runQueue = queueFor("RunQueue", "run-requests", "runTrigger");

    const sealingKey = new SealingKey(this, "SealingKey", {
      namePrefix: prefix,
      protectData: config.protectData,
    });
    const runtime: FunctionRuntime = {
      namePrefix: prefix,
      environment: {
        MAESTRO_TABLE_NAME: table.table.tableName,
        MAESTRO_STEP_QUEUE_URL: stepQueue.queue.queueUrl,
        MAESTRO_COMPENSATION_QUEUE_URL: compensationQueue.queue.queueUrl,
        MAESTRO_RUN_QUEUE_URL: runQueue.queue.queueUrl,
        MAESTRO_SEALING_KEY_SECRET: sealingKey.secret.secretArn,
        MAESTRO_WORKFLOWS_DIR: `/var/task/${BUNDLE.workflowsFolder}`,
        MAESTRO_TRACING: config.tracing,
        POWERTOOLS_SERVICE_NAME: prefix,
        POWERTOOLS_LOG_LEVEL: config.logLevel,
        POWERTOOLS_METRICS_NAMESPACE: RUN_METRICS.namespace,
      },
      logRetentionDays: config.logRetentionDays,
      logLevel: config.logLevel,
      tracing: config.tracing,
      ...(config.otelLayerArn !== undefined && { otelLayerArn: config.otelLayerArn }),
      protectData: config.protectData,
      workflowFiles: workflows.files,
      table,
      queues: { step: stepQueue.queue, compensation: compensationQueue.queue, run: runQueue.queue },
    };
    const worker = (id: string, fn: ConsumerId, queue: WorkQueue) =>
      new QueueWorker(this, id, {
        runtime,
        fn,
        settings: config.functions[fn],
        access: ACCESS[fn],
        queue,
        consumer: config.consumers[fn],
      });
    const stepWorker = worker("StepWorker", "stepWorker", stepQueue);
    const compensator = worker("Compensator", "compensator", compensationQueue);
    // Only the workers call services, so only they read the secrets the workflows name.
    const secrets = workflowSecrets(workflows.workflows.map((d) => d.workflow));
    grantSecrets(stepWorker.fn.function, secrets);
    grantSecrets(compensator.fn.function, secrets);
    const runTrigger = worker("RunTrigger", "runTrigger", runQueue);
    const api = new HttpApi(this, "Api", {
      runtime,
      fn: "api",
      settings: config.functions.api,
      access: ACCESS.api,
      api: config.api,
      ...(config.auth && { auth: config.auth }),
    });

    const scheduleGroup = new scheduler.ScheduleGroup(this, "ScheduleGroup", {
      scheduleGroupName: prefix,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const sweeper = new Sweeper(this, "Sweeper", {
      runtime,
      fn: "sweeper",
      settings: config.functions.sweeper,
      access: ACCESS.sweeper,
      schedule: eventBridgeExpressionOf(config.sweeperSchedule),
      scheduleGroup,
    });
    const schedules = new WorkflowSchedules(this, "WorkflowSchedules", {
      workflows: workflows.workflows,
      target: runTrigger.fn.function,
      scheduleGroup,
      namePrefix: prefix,
    });

    const alarms = new Alarms(this, "Alarms", {
      namePrefix: prefix,
      settings: config.alarms,
      deadLetterQueues: {
        "step-tasks": stepQueue.deadLetterQueue,
        "compensation-tasks": compensationQueue.deadLetterQueue,
        "run-requests": runQueue.deadLetterQueue,
        schedules: schedules.deadLetterQueue,
      },
      functions: {
        api: api.fn.function,
        "step-worker": stepWorker.fn.function,
        compensator: compensator.fn.function,
        "run-trigger": runTrigger.fn.function,
        sweeper: sweeper.fn.function,
      },
    });

    // Every function reads or writes runs, so every one opens and seals their sensitive values.
    for (const fn of [api, stepWorker, compensator, runTrigger, sweeper]) {
      sealingKey.grantRead(fn.fn.function);
    }

    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    if (api.url) output("ApiUrl", api.url, "The HTTP API's base URL");
    if (api.functionUrl) output("FunctionUrl", api.functionUrl.url, "The api function's URL");
    output("TableName", table.table.tableName, "The saga log table");
    output("StepQueueUrl", stepQueue.queue.queueUrl, "Step tasks");
    output("CompensationQueueUrl", compensationQueue.queue.queueUrl, "Compensation tasks");
    output(
      "RunQueueUrl",
      runQueue.queue.queueUrl,
      "Send {workflow, version?, input} here to start a run",
    );
    output("AlarmTopicArn", alarms.topic.topicArn, "Where the alarms go");
  }
}
