import { type App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { REPO_ROOT } from "./functions.js";
import { resolveEnvironment } from "./resolve-config.js";
import { MaestroStack } from "./stack.js";
import { loadWorkflowSet } from "./workflows.js";

/**
 * Adds the stack of the environment chosen by `-c env=…` to `app`, after reading and
 * checking its workflow files, with cdk-nag's AwsSolutions checks (a finding fails the synth
 * unless suppressed with a reason). Shared by `infra/app.ts` and the tests.
 */
export async function buildMaestroApp(app: App): Promise<MaestroStack> {
  const config = resolveEnvironment((key) => app.node.tryGetContext(key));
  const workflows = await loadWorkflowSet(config.workflows, REPO_ROOT);
  const account = config.account ?? process.env.CDK_DEFAULT_ACCOUNT;
  const stack = new MaestroStack(app, "Maestro", {
    stackName: config.namePrefix,
    description: `Maestro saga orchestrator (${config.name})`,
    env: { region: config.region, ...(account !== undefined && { account }) },
    terminationProtection: config.protectData,
    config,
    workflows,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}
