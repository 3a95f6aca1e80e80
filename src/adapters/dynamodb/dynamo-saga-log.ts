/**
 * The saga log on DynamoDB: the durable store of every run in AWS. Item layout and indexes are
 * described in saga-table.ts. Cost per operation, in requests:
 *
 * - append: one PutItem; one TransactWriteItems instead when the run's status changes (start
 *   and end), plus one GetItem if this instance has not seen the run's workflow name.
 * - load: one Query while snapshots come at least every `loadPageItems - 2` appends.
 * - create: one TransactWriteItems (header, first events, idempotency key).
 */
import { randomUUID } from "node:crypto";
import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { FINAL_STATUSES, type RunStatus, type SagaEvent } from "../../engine/events.js";
import type { RunState } from "../../engine/state.js";
import { AppendConflictError, MaestroError } from "../../errors.js";
import { type Clock, systemClock } from "../../ports/clock.js";
import type { CreateResult, RunHeader, SagaLog } from "../../ports/saga-log.js";
import { assertItemFits } from "./item-size.js";
import {
  appendItem,
  EVENT_SK_PREFIX,
  HEAD_SK,
  headerItem,
  type Item,
  idempotencyItem,
  num,
  runPk,
  statusIndexPk,
  str,
  workflowStatusIndexPk,
} from "./items.js";
import { listRuns } from "./list-runs.js";
import { loadRun } from "./load-run.js";
import { SAGA_TABLE } from "./saga-table.js";
import { isSdkError, storeError } from "./store-errors.js";

/** Options for {@link createDynamoSagaLog}. */
export interface DynamoSagaLogOptions {
  readonly client: DynamoDBClient;
  /** A table created like {@link createSagaTable} does (or the CDK stack). */
  readonly tableName: string;
  /**
   * Keep a finished run this long after it finished, then let DynamoDB's TTL delete it.
   * Only the run's header and its idempotency key get `expiresAt`: an append written before
   * the run finished is never rewritten (that would cost a write per event), and one written
   * while the run was finished would outlive a redrive badly if it expired. So without a
   * header the run is gone for `load` and `list`, and its appends stay until something deletes
   * the partition (e.g. a DynamoDB Streams consumer on the header's TTL removal). The
   * idempotency key expires `ttlSeconds` after the run was created: that is how long starting
   * with the same key returns the same run. Without `ttlSeconds` nothing expires.
   */
  readonly ttlSeconds?: number;
  /** Stamps `updatedAt` when `append` is given no `now`. @default systemClock */
  readonly clock?: Clock;
  /**
   * Items per page when loading (the header counts as one). One page holds a load when the
   * writer snapshots at least every `loadPageItems - 2` appends (the runtime does every 16
   * events at most). Larger pages read more of the history before the snapshot, smaller ones
   * need a second request. @default 20
   */
  readonly loadPageItems?: number;
}

/** Workflow names cached per run, for the status index key; names never change. */
const WORKFLOW_CACHE_SIZE = 1000;
/** TransactWriteItems conflicts with a concurrent transaction are retried this many times. */
const CREATE_ATTEMPTS = 5;

/**
 * Creates a saga log on an existing DynamoDB table.
 *
 * @example
 * const log = createDynamoSagaLog({ client: new DynamoDBClient({}), tableName: "maestro-prod" });
 */
export function createDynamoSagaLog(options: DynamoSagaLogOptions): SagaLog {
  const { client, tableName, ttlSeconds } = options;
  const clock = options.clock ?? systemClock;
  const pageItems = Math.max(2, options.loadPageItems ?? 20);
  const workflows = new Map<string, string>();

  function remember(runId: string, workflow: string): void {
    workflows.delete(runId);
    workflows.set(runId, workflow);
    if (workflows.size > WORKFLOW_CACHE_SIZE) {
      const oldest = workflows.keys().next().value;
      if (oldest !== undefined) workflows.delete(oldest);
    }
  }

  const expiry = (fromMs: number): number | undefined =>
    ttlSeconds === undefined ? undefined : Math.ceil(fromMs / 1000) + ttlSeconds;

  async function create(
    header: RunHeader,
    events: readonly SagaEvent[],
    createOptions: { idempotencyKey?: string } = {},
  ): Promise<CreateResult> {
    const key = createOptions.idempotencyKey ?? header.idempotencyKey;
    const stored: RunHeader = { ...header, ...(key !== undefined && { idempotencyKey: key }) };
    const finished = FINAL_STATUSES.has(stored.status);
    const items = [put(headerItem(stored, finished ? expiry(stored.updatedAt) : undefined))];
    if (events.length > 0) {
      const item = appendItem({
        runId: header.runId,
        firstSeq: 1,
        events,
        appendedAt: header.updatedAt,
        writeId: randomUUID(),
      });
      assertItemFits(item, header.runId, 1, `the ${events.length} first events`);
      items.push(put(item));
    }
    const keyIndex = items.length;
    if (key !== undefined) items.push(put(idempotencyItem(key, stored, expiry(stored.createdAt))));

    for (let attempt = 1; ; attempt++) {
      try {
        // The SDK fills ClientRequestToken, so its own retries of this call are idempotent.
        await client.send(new TransactWriteItemsCommand({ TransactItems: items }));
        remember(header.runId, header.workflow);
        return { created: true, runId: header.runId };
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (!reasons) throw storeError(error, `creating run ${header.runId}`);
        const keyReason = reasons[keyIndex];
        if (key !== undefined && keyReason?.Code === "ConditionalCheckFailed" && keyReason.Item) {
          return { created: false, runId: str(keyReason.Item, "runId") };
        }
        if (reasons[0]?.Code === "ConditionalCheckFailed") {
          throw new MaestroError("already_exists", `run ${header.runId} already exists`, {
            retryable: false,
          });
        }
        // A concurrent create with the same key (or run id) is in flight: try again, and see
        // its result once it committed.
        if (attempt < CREATE_ATTEMPTS && reasons.some((r) => r.Code === "TransactionConflict")) {
          await sleep(20 * 2 ** attempt * Math.random());
          continue;
        }
        throw storeError(error, `creating run ${header.runId}`);
      }
    }
  }

  async function append(
    runId: string,
    expectedSeq: number,
    events: readonly SagaEvent[],
    appendOptions: { snapshot?: RunState; status?: RunStatus; now?: number } = {},
  ): Promise<void> {
    const { snapshot, status } = appendOptions;
    if (events.length === 0) {
      // The append's item is keyed by its first seq: an empty one has nothing to claim it with.
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
    const now = appendOptions.now ?? clock.now();
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

    // Writers race for the item at `firstSeq`; whoever loaded a stale head finds it taken. That
    // alone proves `expectedSeq` is the head only when it is a head the caller saw (the port's
    // rule): every older head is followed by an append item. At seq 0 nothing proves the run
    // exists, so that rare case (a run created without events) checks the header too.
    if (status === undefined && expectedSeq > 0) {
      await putAppend(runId, expectedSeq, item, writeId);
    } else {
      await transactAppend(runId, expectedSeq, item, status, now, snapshot);
    }
  }

  async function putAppend(runId: string, expectedSeq: number, item: Item, writeId: string) {
    try {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: item,
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": SAGA_TABLE.partitionKey },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
    } catch (error) {
      if (!isSdkError(error, "ConditionalCheckFailedException")) {
        throw storeError(error, `appending to run ${runId}`);
      }
      // The SDK retries a request whose response was lost; if the first attempt landed, the
      // retry meets our own item. That is a success, not a conflict.
      const existing = (error as { Item?: Item }).Item;
      if (existing?.writeId?.S === writeId) return;
      throw new AppendConflictError(runId, expectedSeq, await currentHead(runId));
    }
  }

  async function transactAppend(
    runId: string,
    expectedSeq: number,
    item: Item,
    status: RunStatus | undefined,
    now: number,
    snapshot: RunState | undefined,
  ) {
    const headKey = { [SAGA_TABLE.partitionKey]: { S: runPk(runId) }, [SAGA_TABLE.sortKey]: { S: HEAD_SK } };
    const exists = {
      ConditionExpression: "attribute_exists(#pk)",
      ExpressionAttributeNames: { "#pk": SAGA_TABLE.partitionKey },
    };
    let head: TransactWriteItem;
    if (status === undefined) {
      head = { ConditionCheck: { TableName: tableName, Key: headKey, ...exists } };
    } else {
      const workflow = snapshot?.workflow ?? workflows.get(runId) ?? (await workflowOf(runId));
      if (workflow === undefined) throw new AppendConflictError(runId, expectedSeq, undefined);
      const expiresAt = FINAL_STATUSES.has(status) ? expiry(now) : undefined;
      head = {
        Update: {
          TableName: tableName,
          Key: headKey,
          UpdateExpression:
            "SET #status = :status, updatedAt = :now, #g1 = :g1, #g2 = :g2" +
            (expiresAt === undefined ? " REMOVE #ttl" : ", #ttl = :ttl"),
          ...exists,
          ExpressionAttributeNames: {
            ...exists.ExpressionAttributeNames,
            "#status": "status",
            "#g1": SAGA_TABLE.byStatus.partitionKey,
            "#g2": SAGA_TABLE.byWorkflowStatus.partitionKey,
            "#ttl": SAGA_TABLE.ttlAttribute,
          },
          ExpressionAttributeValues: {
            ":status": { S: status },
            ":now": { N: String(now) },
            ":g1": { S: statusIndexPk(status) },
            ":g2": { S: workflowStatusIndexPk(workflow, status) },
            ...(expiresAt !== undefined && { ":ttl": { N: String(expiresAt) } }),
          },
        },
      };
    }
    try {
      await client.send(new TransactWriteItemsCommand({ TransactItems: [put(item), head] }));
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons) throw storeError(error, `appending to run ${runId}`);
      if (reasons[1]?.Code === "ConditionalCheckFailed") {
        throw new AppendConflictError(runId, expectedSeq, undefined);
      }
      // Taken seq, or a concurrent transaction on the same items: either way another writer
      // is ahead, and the caller reloads and decides again.
      if (reasons.some((r) => r.Code === "ConditionalCheckFailed" || r.Code === "TransactionConflict")) {
        throw new AppendConflictError(runId, expectedSeq, await currentHead(runId));
      }
      throw storeError(error, `appending to run ${runId}`);
    }
  }

  /** The seq of the run's last event, for a conflict's error (not on the happy path). */
  async function currentHead(runId: string): Promise<number | undefined> {
    try {
      const output = await client.send(
        new QueryCommand({
          TableName: tableName,
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

  async function workflowOf(runId: string): Promise<string | undefined> {
    try {
      const output = await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { [SAGA_TABLE.partitionKey]: { S: runPk(runId) }, [SAGA_TABLE.sortKey]: { S: HEAD_SK } },
          ProjectionExpression: "workflow",
          ConsistentRead: true,
        }),
      );
      const workflow = output.Item?.workflow?.S;
      if (workflow !== undefined) remember(runId, workflow);
      return workflow;
    } catch (error) {
      throw storeError(error, `reading the header of run ${runId}`);
    }
  }

  function put(item: Item): TransactWriteItem {
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

  return {
    create,
    append,
    async load(runId) {
      const loaded = await loadRun({ client, tableName, pageItems }, runId);
      if (loaded) remember(runId, loaded.header.workflow);
      return loaded;
    },
    list: (query) => listRuns({ client, tableName }, query),
  };
}

interface CancellationReason {
  readonly Code?: string;
  readonly Item?: Item;
}

/** The per-item reasons of a cancelled transaction, or undefined for any other error. */
function cancellationReasons(error: unknown): readonly CancellationReason[] | undefined {
  if (!isSdkError(error, "TransactionCanceledException")) return undefined;
  return (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
