/** What the saga log's operations share: the table, the TTL rule and a small cache. */
import type { DynamoDBClient, TransactWriteItem } from "@aws-sdk/client-dynamodb";
import { HEAD_SK, type Item, runPk } from "./items.js";
import { SAGA_TABLE } from "./saga-table.js";

export interface TableContext {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The `expiresAt` (epoch seconds) for a time, or undefined when the log keeps runs forever. */
  expiry(fromMs: number): number | undefined;
  /**
   * Workflow names of runs this instance created or loaded. A status change rewrites the
   * header's workflow-status index key, which needs the name, and DynamoDB cannot build a key
   * from another attribute. Names never change, so the cache is never stale; the runtime loads
   * a run before it appends, so a miss (one GetItem) is rare.
   */
  readonly workflows: WorkflowCache;
}

export interface WorkflowCache {
  get(runId: string): string | undefined;
  remember(runId: string, workflow: string): void;
}

/** A bounded map that forgets the least recently remembered run first. */
export function createWorkflowCache(size: number): WorkflowCache {
  const names = new Map<string, string>();
  return {
    get: (runId) => names.get(runId),
    remember(runId, workflow) {
      names.delete(runId);
      names.set(runId, workflow);
      if (names.size > size) {
        const oldest = names.keys().next().value;
        if (oldest !== undefined) names.delete(oldest);
      }
    },
  };
}

export function headKey(runId: string): Item {
  return {
    [SAGA_TABLE.partitionKey]: { S: runPk(runId) },
    [SAGA_TABLE.sortKey]: { S: HEAD_SK },
  };
}

/** A transaction's put of an item that must not exist yet; the existing one comes back if it does. */
export function putNew(tableName: string, item: Item): TransactWriteItem {
  return {
    Put: {
      TableName: tableName,
      Item: item,
      ConditionExpression: "attribute_not_exists(#pk)",
      ExpressionAttributeNames: { "#pk": SAGA_TABLE.partitionKey },
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    },
  };
}
