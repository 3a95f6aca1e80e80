/** Step tasks from SQS: claim, call, checkpoint, hand on (partial batch failures). */
import { createAwsSecrets } from "../src/adapters/secrets/aws-secrets.js";
import { awsDeps } from "../src/lambda/aws-deps.js";
import { serviceCallers } from "../src/lambda/service-callers.js";
import { createTaskHandler } from "../src/lambda/task-handler.js";

export const handler = createTaskHandler(() =>
  awsDeps(() => ({ caller: serviceCallers(), secrets: createAwsSecrets() })),
);
