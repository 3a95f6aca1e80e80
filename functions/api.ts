/** The HTTP API (API Gateway HTTP API v2 / Function URL). */
import { createApiHandler } from "../src/lambda/api-handler.js";
import { awsDeps } from "../src/lambda/aws-deps.js";

export const handler = createApiHandler(awsDeps);
