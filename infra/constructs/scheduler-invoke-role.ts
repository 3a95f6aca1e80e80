import { Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as scheduler from "aws-cdk-lib/aws-scheduler";
import type { Construct } from "constructs";

/**
 * The role EventBridge Scheduler assumes to invoke `fn`, trusted only for schedules of this
 * account's `group`. `LambdaInvoke` grants `lambda:InvokeFunction` on the function and on
 * `<arn>:*` (its versions and aliases): that one wildcard is acknowledged here.
 */
export function schedulerInvokeRole(
  scope: Construct,
  id: string,
  fn: lambda.Function,
  group: scheduler.IScheduleGroup,
): iam.Role {
  const stack = Stack.of(scope);
  const role = new iam.Role(scope, id, {
    description: `EventBridge Scheduler invokes ${fn.node.path}`,
    assumedBy: new iam.ServicePrincipal("scheduler.amazonaws.com", {
      conditions: {
        StringEquals: {
          "aws:SourceAccount": stack.account,
          "aws:SourceArn": group.scheduleGroupArn,
        },
      },
    }),
  });
  const logicalId = stack.resolve((fn.node.defaultChild as lambda.CfnFunction).logicalId);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
    reason:
      "lambda:InvokeFunction on one function and its qualified ARNs (versions/aliases), as LambdaInvoke grants it; no other function.",
  });
  return role;
}
