/**
 * Listing runs, newest first, from the two header indexes. A filter on status (with or without
 * a workflow) is one index partition; without a status the listing merges one query per status.
 *
 * The cursor is the position (createdAt, runId) of the page's last run, as in the memory log,
 * and each query starts strictly below it with a key condition. Runs created while a caller
 * pages do not shift later pages, and the same cursor works for every partition of a merge.
 */
import { type DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { RUN_STATUSES, type RunStatus } from "../../engine/events.js";
import type { RunHeader, RunPage, RunQuery } from "../../ports/saga-log.js";
import {
  clampLimit,
  compareHeaders,
  decodeCursor,
  encodeCursor,
  type Position,
} from "../run-list.js";
import {
  decodeHeader,
  type Item,
  listPosition,
  statusIndexPk,
  workflowStatusIndexPk,
} from "./items.js";
import { SAGA_TABLE, type SagaIndex } from "./saga-table.js";
import { storeError } from "./store-errors.js";

export interface ListOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

interface Partition {
  readonly index: SagaIndex;
  readonly key: string;
}

export async function listRuns(options: ListOptions, query: RunQuery): Promise<RunPage> {
  const limit = clampLimit(query.limit);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const statuses: readonly RunStatus[] = query.status ? [query.status] : RUN_STATUSES;
  const partitions = statuses.map((status): Partition => {
    if (query.workflow === undefined) {
      return { index: SAGA_TABLE.byStatus, key: statusIndexPk(status) };
    }
    return {
      index: SAGA_TABLE.byWorkflowStatus,
      key: workflowStatusIndexPk(query.workflow, status),
    };
  });
  // Each partition is asked for one more run than the page holds, to know whether more follow.
  const found = await Promise.all(partitions.map((p) => queryPartition(options, p, after, limit)));
  const runs = found.flat().sort(compareHeaders);
  const page = runs.slice(0, limit);
  const last = page.at(-1);
  return {
    runs: page,
    ...(runs.length > limit && last && { cursor: encodeCursor(last) }),
  };
}

/** Up to `limit + 1` headers of one index partition, newest first, below `after`. */
async function queryPartition(
  options: ListOptions,
  partition: Partition,
  after: Position | undefined,
  limit: number,
): Promise<RunHeader[]> {
  const { index, key } = partition;
  const headers: RunHeader[] = [];
  let startKey: Item | undefined;
  do {
    try {
      const output = await options.client.send(
        new QueryCommand({
          TableName: options.tableName,
          IndexName: index.indexName,
          KeyConditionExpression: `#pk = :pk${after ? " AND #sk < :after" : ""}`,
          ExpressionAttributeNames: {
            "#pk": index.partitionKey,
            ...(after && { "#sk": index.sortKey }),
          },
          ExpressionAttributeValues: {
            ":pk": { S: key },
            ...(after && { ":after": { S: listPosition(after.createdAt, after.runId) } }),
          },
          ScanIndexForward: false,
          Limit: limit + 1 - headers.length,
          ...(startKey && { ExclusiveStartKey: startKey }),
        }),
      );
      headers.push(...(output.Items ?? []).map(decodeHeader));
      startKey = output.LastEvaluatedKey;
    } catch (error) {
      throw storeError(error, `listing runs of ${key}`);
    }
    // A page can end early at 1 MB; keep reading until the runs are found or run out.
  } while (startKey && headers.length <= limit);
  return headers;
}
