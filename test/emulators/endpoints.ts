/**
 * What test files use to reach the emulators that global-setup.ts started, and to make
 * resources of their own there.
 */
import { inject } from "vitest";

export interface EmulatorEndpoints {
  /** DynamoDB Local's endpoint, or why it could not start (no Java) and its tests are skipped. */
  readonly dynamodb: { readonly endpoint: string } | { readonly unavailable: string };
  readonly sqs: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    emulators: EmulatorEndpoints;
  }
}

function endpoints(): EmulatorEndpoints {
  const provided = inject("emulators");
  if (!provided) {
    throw new Error(
      "no emulators: add test/emulators/global-setup.ts to `globalSetup` in vitest.config.ts",
    );
  }
  return provided;
}

/** DynamoDB Local's endpoint, or undefined when it is unavailable (its tests are skipped). */
export function dynamodbEndpoint(): string | undefined {
  const { dynamodb } = endpoints();
  return "endpoint" in dynamodb ? dynamodb.endpoint : undefined;
}

export function sqsEndpoint(): string {
  return endpoints().sqs;
}

export { localDynamoClient, localSqsClient, uniqueName } from "./clients.js";
