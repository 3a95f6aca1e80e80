/**
 * Appending to a run's log: one conditional PutItem on the happy path.
 *
 * Writers race for the item keyed by `expectedSeq + 1`; whoever loaded a stale head finds it
 * taken. That alone proves `expectedSeq` is the head only when it is a head the caller saw
 * (the port's rule: the `seq` of a load, or of the caller's own append), because every older
 * head is followed by an append item. Nothing proves the run exists at seq 0, so that rare
 * case (a run created without events) checks the header in a transaction, as does a status
 * (or version) change, which rewrites the header together with the events.
 */
import { randomUUID } from "node:crypto";
import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { FINAL_STATUSES, type RunStatus, type SagaEvent } from "../../engine/events.js";
import type { RunState } from "../../engine/state.js";
import { AppendConflictError, MaestroError } from "../../errors.js";
import { assertItemFits } from "./item-size.js";
import {
  appendItem,
  EVENT_SK_PREFIX,
  type Item,
  num,
  runPk,
  statusIndexPk,
  workflowStatusIndexPk,
} from "./items.js";
import { SAGA_TABLE } from "./saga-table.js";
import { cancellationReasons, isSdkError, storeError } from "./store-errors.js";
import { headKey, putNew, type TableContext } from "./table-context.js";

export interface AppendRequest {
  readonly runId: string;
  readonly expectedSeq: number;
  readonly events: readonly SagaEvent[];
  readonly snapshot?: RunState;
  readonly status?: RunStatus;
  /** The run moved to this version of its workflow: the header is rewritten with it. */
  readonly version?: string;
  readonly now: number;
}

export async function appendRun(ctx: TableContext, request: AppendRequest): Promise<void> {
  const { runId, expectedSeq, events, snapshot, status, now } = request;
  if (events.length === 0) {
    // The append's item is keyed by its first seq: an empty append has nothing to claim it with.
    throw new MaestroError("invalid_argument", `append to run ${runId} without events`);
  }
  const newHead = expectedSeq + events.length;
  // A snapshot past the head would make loads skip events that were never written.
  if (snapshot && snapshot.seq > newHead) {
    throw new MaestroError(
      "invalid_argument",
      `snapshot of run ${runId} is at seq ${snapshot.seq}, past the head ${newHead}`,
    );
  }
  const writeId = randomUUID();
  const firstSeq = expectedSeq + 1;
  const item = appendItem({
    runId,
    firstSeq,
    events,
    ...(snapshot && { snapshot }),
    appendedAt: now,
    writeId,
  });
  assertItemFits(item, runId, firstSeq, `an append of ${events.length} events`);
  if (status === undefined && request.version === undefined && expectedSeq > 0) {
    await putAppend(ctx, request, item, writeId);
  } else {
    await transactAppend(ctx, request, item);
  }
}

async function putAppend(ctx: TableContext, request: AppendRequest, item: Item, writeId: string) {
  const { runId, expectedSeq } = request;
  try {
    await ctx.client.send(
      new PutItemCommand({
        TableName: ctx.tableName,
        Item: item,
        ConditionExpression: "attribute_not_exists(#pk)",
        ExpressionAttributeNames: { "#pk": SAGA_TABLE.partitionKey },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
  } catch (error) {
    // The item is in a concurrent status-change transaction: that writer is ahead.
    if (isSdkError(error, "TransactionConflictException")) {
      throw new AppendConflictError(runId, expectedSeq, await currentHead(ctx, runId));
    }
    if (!isSdkError(error, "ConditionalCheckFailedException")) {
      throw storeError(error, `appending to run ${runId}`);
    }
    // The SDK retries a request whose response was lost; when the first attempt had landed,
    // the retry meets our own item. That is a success, not a conflict.
    const existing = (error as { Item?: Item }).Item;
    if (existing?.writeId?.S === writeId) return;
    throw new AppendConflictError(runId, expectedSeq, await currentHead(ctx, runId));
  }
}

/** The events' put and, in the same transaction, the header's check or status update. */
async function transactAppend(ctx: TableContext, request: AppendRequest, item: Item) {
  const { runId, expectedSeq, status } = request;
  const head =
    status === undefined && request.version === undefined
      ? headerExists(ctx, runId)
      : await headerUpdate(ctx, request);
  if (!head) throw new AppendConflictError(runId, expectedSeq, undefined);
  try {
    // The SDK fills ClientRequestToken, so its own retries of this call are idempotent.
    await ctx.client.send(
      new TransactWriteItemsCommand({ TransactItems: [putNew(ctx.tableName, item), head] }),
    );
  } catch (error) {
    const reasons = cancellationReasons(error);
    if (!reasons) throw storeError(error, `appending to run ${runId}`);
    if (reasons[1]?.Code === "ConditionalCheckFailed") {
      throw new AppendConflictError(runId, expectedSeq, undefined);
    }
    // The seq is taken, or a concurrent transaction holds these items: either way another
    // writer is ahead, and the caller reloads and decides again.
    if (
      reasons.some((r) => r.Code === "ConditionalCheckFailed" || r.Code === "TransactionConflict")
    ) {
      throw new AppendConflictError(runId, expectedSeq, await currentHead(ctx, runId));
    }
    throw storeError(error, `appending to run ${runId}`);
  }
}

const HEADER_EXISTS = {
  ConditionExpression: "attribute_exists(#pk)",
  ExpressionAttributeNames: { "#pk": SAGA_TABLE.partitionKey },
};

function headerExists(ctx: TableContext, runId: string): TransactWriteItem {
  return { ConditionCheck: { TableName: ctx.tableName, Key: headKey(runId), ...HEADER_EXISTS } };
}

/**
 * The header's update to a new status and/or version, or undefined when the run does not
 * exist. Only the attributes that change are named: DynamoDB refuses unused names.
 */
async function headerUpdate(
  ctx: TableContext,
  request: AppendRequest,
): Promise<TransactWriteItem | undefined> {
  const { runId, status, version, now, snapshot } = request;
  const names: Record<string, string> = { ...HEADER_EXISTS.ExpressionAttributeNames };
  const values: Record<string, { S: string } | { N: string }> = { ":now": { N: String(now) } };
  const set = ["updatedAt = :now"];
  let remove = "";
  if (status !== undefined) {
    const workflow =
      snapshot?.workflow ?? ctx.workflows.get(runId) ?? (await workflowOf(ctx, runId));
    if (workflow === undefined) return undefined;
    // A finished run's header expires; one that is redriven out of a final status must not.
    const expiresAt = FINAL_STATUSES.has(status) ? ctx.expiry(now) : undefined;
    Object.assign(names, {
      "#status": "status",
      "#g1": SAGA_TABLE.byStatus.partitionKey,
      "#g2": SAGA_TABLE.byWorkflowStatus.partitionKey,
      "#ttl": SAGA_TABLE.ttlAttribute,
    });
    Object.assign(values, {
      ":status": { S: status },
      ":g1": { S: statusIndexPk(status) },
      ":g2": { S: workflowStatusIndexPk(workflow, status) },
    });
    set.push("#status = :status", "#g1 = :g1", "#g2 = :g2");
    if (expiresAt === undefined) remove = " REMOVE #ttl";
    else {
      set.push("#ttl = :ttl");
      values[":ttl"] = { N: String(expiresAt) };
    }
  }
  if (version !== undefined) {
    names["#version"] = "version";
    values[":version"] = { S: version };
    set.push("#version = :version");
  }
  return {
    Update: {
      TableName: ctx.tableName,
      Key: headKey(runId),
      UpdateExpression: `SET ${set.join(", ")}${remove}`,
      ConditionExpression: HEADER_EXISTS.ConditionExpression,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/** The seq of the run's last event, for a conflict's error (never on the happy path). */
async function currentHead(ctx: TableContext, runId: string): Promise<number | undefined> {
  try {
    const output = await ctx.client.send(
      new QueryCommand({
        TableName: ctx.tableName,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :ev)",
        ExpressionAttributeNames: { "#pk": SAGA_TABLE.partitionKey, "#sk": SAGA_TABLE.sortKey },
        ExpressionAttributeValues: { ":pk": { S: runPk(runId) }, ":ev": { S: EVENT_SK_PREFIX } },
        ProjectionExpression: "lastSeq",
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: 1,
      }),
    );
    const newest = output.Items?.[0];
    return newest ? num(newest, "lastSeq") : undefined;
  } catch (error) {
    throw storeError(error, `reading the head of run ${runId}`);
  }
}

async function workflowOf(ctx: TableContext, runId: string): Promise<string | undefined> {
  try {
    const output = await ctx.client.send(
      new GetItemCommand({
        TableName: ctx.tableName,
        Key: headKey(runId),
        ProjectionExpression: "workflow",
        ConsistentRead: true,
      }),
    );
    const workflow = output.Item?.workflow?.S;
    if (workflow !== undefined) ctx.workflows.remember(runId, workflow);
    return workflow;
  } catch (error) {
    throw storeError(error, `reading the header of run ${runId}`);
  }
}
