import type { Context } from "aws-lambda";
import { handle, type LambdaEvent } from "hono/aws-lambda";
import { createApi } from "../api/app.js";
import type { AwsDeps } from "./aws-deps.js";

/** The HTTP API on Lambda (API Gateway HTTP API v2 or a Function URL). */
export function createApiHandler(deps: () => Promise<AwsDeps>) {
  let lambdaHandler: ReturnType<typeof handle> | undefined;
  return async (event: LambdaEvent, context: Context) => {
    if (!lambdaHandler) lambdaHandler = handle(createApi(await deps()));
    return lambdaHandler(event, context as Parameters<ReturnType<typeof handle>>[1]);
  };
}
