/** Starts runs from the run-request queue and from EventBridge schedules. */
import { awsDeps } from "../src/lambda/aws-deps.js";
import { createTriggerHandler } from "../src/lambda/trigger-handler.js";

export const handler = createTriggerHandler(awsDeps);
