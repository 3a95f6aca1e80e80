import { createHash } from "node:crypto";
import { basename } from "node:path";
import { Duration, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import { LambdaInvoke } from "aws-cdk-lib/aws-scheduler-targets";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { eventBridgeExpression } from "../schedule-expression.js";
import type { DeployedWorkflow } from "../workflows.js";
import { schedulerInvokeRole } from "./scheduler-invoke-role.js";

export interface WorkflowSchedulesProps {
  readonly workflows: readonly DeployedWorkflow[];
  /** The run-trigger function, which starts a run from the schedule's payload. */
  readonly target: lambda.Function;
  readonly scheduleGroup: scheduler.IScheduleGroup;
  readonly namePrefix: string;
}

/**
 * One EventBridge Scheduler schedule per `triggers: - schedule:` entry of the deployed
 * workflows, each invoking the run trigger with `{workflow, version, input, schedule,
 * scheduledTime}`. The due time makes the run's idempotency key, so a schedule that fires
 * twice for one time starts one run. Invocations that never start a run — Scheduler could
 * not invoke, or the function failed all its async retries — land in a dead-letter queue.
 */
export class WorkflowSchedules extends Construct {
  readonly deadLetterQueue: sqs.Queue;
  readonly schedules: readonly scheduler.Schedule[];

  constructor(scope: Construct, id: string, props: WorkflowSchedulesProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, "DeadLetterQueue", {
      queueName: `${props.namePrefix}-schedule-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason:
        "This is itself a dead-letter queue: of EventBridge Scheduler and of the run trigger's asynchronous invocations.",
    });
    const triggers = props.workflows.flatMap(({ file, workflow }) =>
      workflow.triggers.flatMap((trigger, index) =>
        trigger.kind === "schedule" ? [{ file, workflow, trigger, index }] : [],
      ),
    );
    const role =
      triggers.length > 0
        ? schedulerInvokeRole(this, "SchedulerRole", props.target, props.scheduleGroup)
        : undefined;
    this.schedules = triggers.map(({ file, workflow, trigger, index }) => {
      const id = `${workflow.name}-${workflow.version}-${index}`;
      const schedule = new scheduler.Schedule(this, id, {
        scheduleName: scheduleName(id),
        scheduleGroup: props.scheduleGroup,
        description: `${workflow.name}@${workflow.version} (${basename(file)}): ${trigger.expression}`,
        schedule: scheduler.ScheduleExpression.expression(eventBridgeExpression(trigger)),
        target: new LambdaInvoke(props.target, {
          ...(role && { role }),
          input: scheduler.ScheduleTargetInput.fromObject({
            workflow: workflow.name,
            version: workflow.version,
            input: trigger.input ?? {},
            schedule: trigger.expression,
            scheduledTime: scheduler.ContextAttribute.scheduledTime,
          }),
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 10,
          maxEventAge: Duration.hours(1),
        }),
      });
      // The group is referenced by name, which alone would not order the two on creation.
      schedule.node.addDependency(props.scheduleGroup);
      return schedule;
    });
    // Scheduler invokes asynchronously: a run that fails to start is retried, then kept here.
    props.target.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: sendOnlyDestination(this.deadLetterQueue),
    });
  }
}

/** Unique in the environment's schedule group; Scheduler allows 64 of `[\w.-]`. */
function scheduleName(wanted: string): string {
  const name = wanted.replace(/[^\w.-]/g, "-");
  if (name.length <= 64) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${name.slice(0, 64 - hash.length - 1)}-${hash}`;
}

/** Like `SqsDestination`, but granting only the sqs:SendMessage a destination needs. */
function sendOnlyDestination(queue: sqs.IQueue): lambda.IDestination {
  return {
    bind: (_scope, fn) => {
      iam.Grant.addToPrincipal({
        grantee: fn,
        actions: ["sqs:SendMessage"],
        resourceArns: [queue.queueArn],
      });
      return { destination: queue.queueArn };
    },
  };
}
