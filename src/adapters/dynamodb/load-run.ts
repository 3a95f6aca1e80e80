/**
 * Loading a run: one descending Query over the run's partition reads the header (`HEAD` sorts
 * after every `EV#…` key) and then the newest appends, and stops at the newest snapshot.
 */
import {
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandOutput,
} from "@aws-sdk/client-dynamodb";
import type { RunState } from "../../engine/state.js";
import { MaestroError } from "../../errors.js";
import type { LoadedRun, LoggedEvent, RunHeader } from "../../ports/saga-log.js";
import {
  decodeAppend,
  decodeHeader,
  EVENT_SK_PREFIX,
  HEAD_SK,
  type Item,
  runPk,
  type StoredAppend,
} from "./items.js";
import { SAGA_TABLE } from "./saga-table.js";
import { storeError } from "./store-errors.js";

export interface LoadOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Items per Query page; see `loadPageItems` in DynamoSagaLogOptions. */
  readonly pageItems: number;
}

/**
 * Reads the header and, backwards, the appends until one carries a snapshot that the appends
 * read so far continue from. With a snapshot every few appends this is one page, so the cost
 * of a load does not grow with the run's history. Strongly consistent: a worker must see the
 * append that another worker made just before, or it would only meet a conflict on its write.
 */
export async function loadRun(options: LoadOptions, runId: string): Promise<LoadedRun | undefined> {
  let header: RunHeader | undefined;
  /** Newest first. */
  const appends: StoredAppend[] = [];
  let startKey: Item | undefined;
  do {
    const page = await query(options, runId, startKey);
    for (const item of page.items) {
      if (item[SAGA_TABLE.sortKey]?.S === HEAD_SK) header = decodeHeader(item);
      else appends.push(decodeAppend(item));
    }
    // No header on the first page: the run does not exist (or its header expired through TTL,
    // leaving appends that nothing reads).
    if (!header) return undefined;
    if (covered(appends)) break;
    startKey = page.lastKey;
  } while (startKey);
  return assemble(runId, header, appends);
}

async function query(options: LoadOptions, runId: string, startKey: Item | undefined) {
  try {
    const output = await options.client.send(
      new QueryCommand({
        TableName: options.tableName,
        KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :from AND :to",
        ExpressionAttributeNames: { "#pk": SAGA_TABLE.partitionKey, "#sk": SAGA_TABLE.sortKey },
        ExpressionAttributeValues: {
          ":pk": { S: runPk(runId) },
          ":from": { S: EVENT_SK_PREFIX },
          ":to": { S: HEAD_SK },
        },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: options.pageItems,
        ...(startKey && { ExclusiveStartKey: startKey }),
      }),
    );
    return { items: output.Items ?? [], lastKey: output.LastEvaluatedKey };
  } catch (error) {
    throw storeError(error, `loading run ${runId}`);
  }
}

/** Whether the appends read (newest first) reach back to a snapshot they continue from. */
function covered(appends: readonly StoredAppend[]): boolean {
  const oldest = appends.at(-1);
  if (!oldest) return false;
  if (oldest.firstSeq <= 1) return true;
  const snapshotSeq = newestSnapshot(appends)?.seq;
  return snapshotSeq !== undefined && oldest.firstSeq <= snapshotSeq + 1;
}

function newestSnapshot(appends: readonly StoredAppend[]): RunState | undefined {
  let newest: RunState | undefined;
  for (const { snapshot } of appends) {
    if (snapshot && snapshot.seq > (newest?.seq ?? -1)) newest = snapshot;
  }
  return newest;
}

function assemble(runId: string, header: RunHeader, appends: StoredAppend[]): LoadedRun {
  const ascending = [...appends].reverse();
  const snapshot = newestSnapshot(ascending);
  const from = snapshot?.seq ?? 0;
  const events: LoggedEvent[] = ascending.flatMap((a) => a.events.filter((e) => e.seq > from));
  // A hole would mean an append written at a seq the caller never observed (a bug upstream):
  // say so rather than fold a log with events missing.
  let expected = from + 1;
  for (const event of events) {
    if (event.seq !== expected) {
      throw new MaestroError(
        "data_loss",
        `saga log of run ${runId} has a gap: expected seq ${expected}, found ${event.seq}`,
        { retryable: false },
      );
    }
    expected++;
  }
  const newest = appends[0];
  return {
    // Plain appends do not rewrite the header (one write per append), so its updatedAt is the
    // last status change; the newest append knows better.
    header: { ...header, updatedAt: Math.max(header.updatedAt, newest?.appendedAt ?? 0) },
    ...(snapshot && { snapshot }),
    events,
    seq: newest?.lastSeq ?? 0,
  };
}

/**
 * Every event after `afterSeq`, oldest first, for the API's event stream: pages through
 * the run's appends from the one holding `afterSeq`, without their snapshots.
 */
export async function readEvents(
  options: LoadOptions,
  runId: string,
  afterSeq: number,
): Promise<LoggedEvent[]> {
  const events: LoggedEvent[] = [];
  let startKey: Item | undefined;
  do {
    let output: QueryCommandOutput;
    try {
      output = await options.client.send(
        new QueryCommand({
          TableName: options.tableName,
          KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
          ExpressionAttributeNames: {
            "#pk": SAGA_TABLE.partitionKey,
            "#sk": SAGA_TABLE.sortKey,
            "#ev": "events",
          },
          ExpressionAttributeValues: {
            ":pk": { S: runPk(runId) },
            ":prefix": { S: EVENT_SK_PREFIX },
          },
          // The snapshot is what makes items large; a stream never needs it.
          ProjectionExpression: "#pk, #sk, lastSeq, #ev, appendedAt, writeId",
          ConsistentRead: true,
          ...(startKey && { ExclusiveStartKey: startKey }),
        }),
      );
    } catch (error) {
      throw storeError(error, `reading the events of run ${runId}`);
    }
    for (const item of output.Items ?? []) {
      if (Number(item.lastSeq?.N ?? 0) <= afterSeq) continue;
      events.push(...decodeAppend(item).events.filter((e) => e.seq > afterSeq));
    }
    startKey = output.LastEvaluatedKey;
  } while (startKey);
  return events;
}
