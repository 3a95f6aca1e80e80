/** The CDK app: `npx cdk synth -c env=dev`, `npx cdk deploy -c env=prod` (see infra/README.md). */
import { App } from "aws-cdk-lib";
import { buildMaestroApp } from "./build-app.js";
import { ConfigError } from "./resolve-config.js";
import { WorkflowSetError } from "./workflows.js";

const app = new App();
try {
  await buildMaestroApp(app);
  app.synth();
} catch (error) {
  // Bad settings and invalid workflows are the user's to fix: the message is the whole story.
  if (!(error instanceof ConfigError || error instanceof WorkflowSetError)) throw error;
  console.error(`${error.message}`);
  process.exitCode = 1;
}
