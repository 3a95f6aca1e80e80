/**
 * The saga table's items and keys (layout in saga-table.ts), to and from DynamoDB attribute
 * maps. Events and snapshots are stored as JSON text rather than as DynamoDB maps: payloads
 * then round-trip exactly (no 32-level nesting limit, no number or empty-value quirks), the
 * item size is easy to know before writing, and nothing ever queries inside them.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { RUN_STATUSES, type RunStatus, type SagaEvent } from "../../engine/events.js";
import type { RunState } from "../../engine/state.js";
import { MaestroError } from "../../errors.js";
import type { LoggedEvent, RunHeader } from "../../ports/saga-log.js";
import { SAGA_TABLE } from "./saga-table.js";

export type Item = Record<string, AttributeValue>;

export const HEAD_SK = "HEAD";
export const EVENT_SK_PREFIX = "EV#";
const SEQ_WIDTH = 10;
const TIME_WIDTH = 15;

export const runPk = (runId: string): string => `RUN#${runId}`;
export const appendSk = (firstSeq: number): string =>
  `${EVENT_SK_PREFIX}${String(firstSeq).padStart(SEQ_WIDTH, "0")}`;
export const idempotencyPk = (key: string): string => `IDEMP#${key}`;
export const IDEMPOTENCY_SK = "IDEMP";

export const statusIndexPk = (status: RunStatus): string => `STATUS#${status}`;
export const workflowStatusIndexPk = (workflow: string, status: RunStatus): string =>
  `WFS#${workflow}#${status}`;

/** Where a run sits in a listing: both indexes sort on this, newest last (read backwards). */
export function listPosition(createdAt: number, runId: string): string {
  return `${String(Math.max(0, Math.trunc(createdAt))).padStart(TIME_WIDTH, "0")}#${runId}`;
}

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });

/** The header item, with the index keys of its status and, when given, its expiry. */
export function headerItem(header: RunHeader, expiresAt: number | undefined): Item {
  const position = listPosition(header.createdAt, header.runId);
  return {
    [SAGA_TABLE.partitionKey]: s(runPk(header.runId)),
    [SAGA_TABLE.sortKey]: s(HEAD_SK),
    runId: s(header.runId),
    workflow: s(header.workflow),
    version: s(header.version),
    status: s(header.status),
    createdAt: n(header.createdAt),
    updatedAt: n(header.updatedAt),
    correlationId: s(header.correlationId),
    ...(header.idempotencyKey !== undefined && { idempotencyKey: s(header.idempotencyKey) }),
    [SAGA_TABLE.byStatus.partitionKey]: s(statusIndexPk(header.status)),
    [SAGA_TABLE.byStatus.sortKey]: s(position),
    [SAGA_TABLE.byWorkflowStatus.partitionKey]: s(
      workflowStatusIndexPk(header.workflow, header.status),
    ),
    [SAGA_TABLE.byWorkflowStatus.sortKey]: s(position),
    ...(expiresAt !== undefined && { [SAGA_TABLE.ttlAttribute]: n(expiresAt) }),
  };
}

export function decodeHeader(item: Item): RunHeader {
  const status = str(item, "status");
  if (!(RUN_STATUSES as readonly string[]).includes(status)) {
    throw corrupt(item, `unknown status ${status}`);
  }
  const key = item.idempotencyKey?.S;
  return {
    runId: str(item, "runId"),
    workflow: str(item, "workflow"),
    version: str(item, "version"),
    status: status as RunStatus,
    createdAt: num(item, "createdAt"),
    updatedAt: num(item, "updatedAt"),
    correlationId: str(item, "correlationId"),
    ...(key !== undefined && { idempotencyKey: key }),
  };
}

/** What one append wrote: events `firstSeq…lastSeq`, and maybe the state at `snapshot.seq`. */
export interface StoredAppend {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly events: readonly LoggedEvent[];
  readonly snapshot?: RunState;
  readonly appendedAt: number;
  readonly writeId: string;
}

export interface NewAppend {
  readonly runId: string;
  readonly firstSeq: number;
  readonly events: readonly SagaEvent[];
  readonly snapshot?: RunState;
  readonly appendedAt: number;
  /** Unique per append call: tells our own retried write apart from another writer's. */
  readonly writeId: string;
}

export function appendItem(append: NewAppend): Item {
  return {
    [SAGA_TABLE.partitionKey]: s(runPk(append.runId)),
    [SAGA_TABLE.sortKey]: s(appendSk(append.firstSeq)),
    lastSeq: n(append.firstSeq + append.events.length - 1),
    events: s(JSON.stringify(append.events)),
    ...(append.snapshot && { snapshot: s(JSON.stringify(append.snapshot)) }),
    appendedAt: n(append.appendedAt),
    writeId: s(append.writeId),
  };
}

export function decodeAppend(item: Item): StoredAppend {
  const sk = str(item, SAGA_TABLE.sortKey);
  const firstSeq = Number(sk.slice(EVENT_SK_PREFIX.length));
  const lastSeq = num(item, "lastSeq");
  const events = parseJson(item, "events");
  if (!Array.isArray(events) || events.length !== lastSeq - firstSeq + 1) {
    throw corrupt(item, `events do not match seqs ${firstSeq}…${lastSeq}`);
  }
  const snapshot = item.snapshot?.S === undefined ? undefined : parseJson(item, "snapshot");
  return {
    firstSeq,
    lastSeq,
    events: events.map((event: SagaEvent, i) => ({ ...event, seq: firstSeq + i })),
    ...(snapshot !== undefined && { snapshot: snapshot as RunState }),
    appendedAt: num(item, "appendedAt"),
    writeId: str(item, "writeId"),
  };
}

export function idempotencyItem(key: string, header: RunHeader, expiresAt?: number): Item {
  return {
    [SAGA_TABLE.partitionKey]: s(idempotencyPk(key)),
    [SAGA_TABLE.sortKey]: s(IDEMPOTENCY_SK),
    runId: s(header.runId),
    createdAt: n(header.createdAt),
    ...(expiresAt !== undefined && { [SAGA_TABLE.ttlAttribute]: n(expiresAt) }),
  };
}

export function str(item: Item, name: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw corrupt(item, `missing string ${name}`);
  return value;
}

export function num(item: Item, name: string): number {
  const value = Number(item[name]?.N);
  if (item[name]?.N === undefined || !Number.isFinite(value)) {
    throw corrupt(item, `missing number ${name}`);
  }
  return value;
}

function parseJson(item: Item, name: string): unknown {
  try {
    return JSON.parse(str(item, name));
  } catch (error) {
    throw corrupt(item, `${name} is not JSON`, error);
  }
}

function corrupt(item: Item, problem: string, cause?: unknown): MaestroError {
  const where = `${item[SAGA_TABLE.partitionKey]?.S} ${item[SAGA_TABLE.sortKey]?.S}`;
  return new MaestroError("data_loss", `saga table item ${where}: ${problem}`, {
    retryable: false,
    cause,
  });
}
