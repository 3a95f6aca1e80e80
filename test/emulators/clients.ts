/** SDK clients for the local emulators, and unique resource names (no vitest: the bench uses them too). */
import { randomUUID } from "node:crypto";
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";

// Emulators accept any credentials; fixed ones keep the SDK from looking for real ones.
const LOCAL = {
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
} as const;

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
