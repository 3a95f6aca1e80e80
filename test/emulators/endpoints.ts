/**
 * What test files use to reach the emulators that global-setup.ts started, and to make
 * resources of their own there.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
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

// Emulators accept any credentials; fixed ones keep the SDK from looking for real ones.
const LOCAL = {
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
} as const;

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

export function localDynamoClient(
  endpoint: string,
  config: Omit<DynamoDBClientConfig, "endpoint"> = {},
): DynamoDBClient {
  return new DynamoDBClient({ ...LOCAL, ...config, endpoint });
}

export function localSqsClient(endpoint: string): SQSClient {
  return new SQSClient({ ...LOCAL, endpoint });
}

/** A name no other test file or run uses, valid for tables and queues. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 13)}`;
}
