/**
 * The saga log's DynamoDB table. The key names live in {@link SAGA_TABLE} so that the adapter,
 * the tests, the local dev command and the CDK stack cannot drift apart.
 *
 * One table per environment. Items (`:10` and `:15` are zero-padded widths):
 *
 * | item            | pk                | sk               | other attributes                                     |
 * |-----------------|-------------------|------------------|------------------------------------------------------|
 * | run header      | `RUN#<runId>`     | `HEAD`           | runId workflow version status createdAt updatedAt    |
 * |                 |                   |                  | correlationId idempotencyKey? expiresAt?             |
 * |                 |                   |                  | gsi1pk=`STATUS#<status>` gsi1sk=`<createdAt:15>#<runId>` |
 * |                 |                   |                  | gsi2pk=`WFS#<workflow>#<status>` gsi2sk=gsi1sk       |
 * | one append      | `RUN#<runId>`     | `EV#<firstSeq:10>` | lastSeq events(JSON) snapshot?(JSON) appendedAt writeId |
 * | idempotency key | `IDEMP#<key>`     | `IDEMP`          | runId createdAt expiresAt?                           |
 *
 * Why this shape:
 * - A run is one partition, and `HEAD` sorts after every `EV#…` key, so one descending Query
 *   over `sk BETWEEN "EV#" AND "HEAD"` reads the header and then the newest appends first.
 * - One item per append (not per event), keyed by its first seq and written with
 *   `attribute_not_exists`: two writers that loaded the same head race for the same key and
 *   exactly one wins, in one write. The snapshot rides in the same item, so an append that
 *   snapshots is still one write, and a load stops at the newest item that has one.
 * - Listing: `byStatus` answers "runs with status S" (the sweeper), `byWorkflowStatus` answers
 *   "runs of workflow W with status S"; "all runs of W" and "all runs" merge one query per
 *   status (8). A third index keyed by workflow alone would make those one query, at the price
 *   of another index write on every header write; listings are rare next to appends.
 *   Both indexes share the sort key format, newest first when read backwards.
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { storeError } from "./store-errors.js";

/** Key, index and TTL attribute names of the saga table. */
export const SAGA_TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  /** Epoch seconds; set on finished runs' headers when the log has a `ttlSeconds`. */
  ttlAttribute: "expiresAt",
  byStatus: { indexName: "byStatus", partitionKey: "gsi1pk", sortKey: "gsi1sk" },
  byWorkflowStatus: { indexName: "byWorkflowStatus", partitionKey: "gsi2pk", sortKey: "gsi2sk" },
} as const;

export type SagaIndex = typeof SAGA_TABLE.byStatus | typeof SAGA_TABLE.byWorkflowStatus;

/**
 * Creates the saga table (on-demand billing, both indexes, TTL on `expiresAt`) and waits until
 * it is active. For tests and local development; deployed stacks define the same table in CDK.
 */
export async function createSagaTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const indexes = [SAGA_TABLE.byStatus, SAGA_TABLE.byWorkflowStatus];
  const attributes: AttributeDefinition[] = [
    SAGA_TABLE.partitionKey,
    SAGA_TABLE.sortKey,
    ...indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ].map((name) => ({ AttributeName: name, AttributeType: "S" }));
  const globalIndexes: GlobalSecondaryIndex[] = indexes.map((index) => ({
    IndexName: index.indexName,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: "HASH" },
      { AttributeName: index.sortKey, KeyType: "RANGE" },
    ],
    // Only header items carry the index keys, and they are small: project them whole.
    Projection: { ProjectionType: "ALL" },
  }));
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: attributes,
        KeySchema: [
          { AttributeName: SAGA_TABLE.partitionKey, KeyType: "HASH" },
          { AttributeName: SAGA_TABLE.sortKey, KeyType: "RANGE" },
        ],
        GlobalSecondaryIndexes: globalIndexes,
      }),
    );
    await waitUntilTableExists(
      { client, minDelay: 1, maxDelay: 2, maxWaitTime: 60 },
      { TableName: tableName },
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: SAGA_TABLE.ttlAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    throw storeError(error, `creating table ${tableName}`);
  }
}
