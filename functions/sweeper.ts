/** Scheduled: re-drives stalled runs from their saga log. */
import { awsDeps } from "../src/lambda/aws-deps.js";
import { createSweeperHandler } from "../src/lambda/sweeper-handler.js";

export const handler = createSweeperHandler(awsDeps);
