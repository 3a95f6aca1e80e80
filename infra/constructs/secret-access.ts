/**
 * Read access to exactly the secrets the deployed workflows name. `{{ secret "…" }}` only
 * takes literal names (validation guarantees it), so the set is known at synth time and the
 * workers get GetSecretValue / GetParameter on those ARNs and nothing else.
 */
import { Arn, ArnFormat, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import { secretNames } from "../../src/engine/request.js";
import type { Workflow } from "../../src/workflow/model.js";

/** Every secret name the workflows' calls and compensations use. */
export function workflowSecrets(workflows: readonly Workflow[]): string[] {
  const names = new Set<string>();
  for (const w of workflows) {
    for (const step of w.steps) {
      for (const call of [step.call, step.compensate]) {
        const service = call && w.services.get(call.service);
        if (call && service) for (const name of secretNames(call, service)) names.add(name);
      }
    }
  }
  return [...names].sort();
}

export function grantSecrets(fn: lambda.IFunction, names: readonly string[]): void {
  if (names.length === 0) return;
  const stack = Stack.of(fn);
  const parameters = names.filter((n) => n.startsWith("ssm:")).map((n) => n.slice(4));
  const secrets = names.filter((n) => !n.startsWith("ssm:"));
  if (secrets.length > 0) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["secretsmanager:GetSecretValue"],
        // Secrets Manager appends six random characters to a secret's name in its ARN.
        resources: secrets.map((name) =>
          Arn.format(
            {
              service: "secretsmanager",
              resource: "secret",
              resourceName: `${name}-??????`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            },
            stack,
          ),
        ),
      }),
    );
  }
  if (parameters.length > 0) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["ssm:GetParameter"],
        resources: parameters.map((path) =>
          Arn.format(
            { service: "ssm", resource: "parameter", resourceName: path.replace(/^\//, "") },
            stack,
          ),
        ),
      }),
    );
  }
}
