import { Duration } from "aws-cdk-lib";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import { LambdaInvoke } from "aws-cdk-lib/aws-scheduler-targets";
import { Construct } from "constructs";
import { MaestroFunction, type MaestroFunctionProps } from "./maestro-function.js";
import { schedulerInvokeRole } from "./scheduler-invoke-role.js";

export interface SweeperProps extends MaestroFunctionProps {
  /** An EventBridge Scheduler expression (`rate(1 minute)`). */
  readonly schedule: string;
  readonly scheduleGroup: scheduler.IScheduleGroup;
}

/**
 * The sweeper and its clock: re-drives stalled runs from their saga log on a schedule. A
 * missed or failed sweep is not retried — the next one covers it — and an invocation that
 * waited longer than a minute is dropped rather than overlapping the next.
 */
export class Sweeper extends Construct {
  readonly fn: MaestroFunction;

  constructor(scope: Construct, id: string, props: SweeperProps) {
    super(scope, id);
    this.fn = new MaestroFunction(this, "Fn", props);
    this.fn.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    const schedule = new scheduler.Schedule(this, "Schedule", {
      scheduleName: "sweeper",
      scheduleGroup: props.scheduleGroup,
      description: `Re-drives stalled Maestro runs (${props.runtime.namePrefix})`,
      schedule: scheduler.ScheduleExpression.expression(props.schedule),
      target: new LambdaInvoke(this.fn.function, {
        role: schedulerInvokeRole(this, "SchedulerRole", this.fn.function, props.scheduleGroup),
        retryAttempts: 0,
        maxEventAge: Duration.minutes(1),
      }),
    });
    // The group is referenced by name, which alone would not order the two on creation.
    schedule.node.addDependency(props.scheduleGroup);
  }
}
