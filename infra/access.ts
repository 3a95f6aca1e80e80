/**
 * What each function may do to the table and the queues — the whole least-privilege story in
 * one table, so a review (and the tests) compare it with what the code calls.
 *
 * IAM has no `TransactWriteItems` action: a transaction is authorised item by item, by the
 * action each item performs (`Put` → PutItem, `Update` → UpdateItem, `ConditionCheck` →
 * ConditionCheckItem). The saga log's transactions are: create a run (Puts), append
 * (Put + ConditionCheck, or Put + Update of the run header).
 */
import type { FunctionId } from "./config.js";

export type TableAction = "GetItem" | "PutItem" | "UpdateItem" | "Query" | "ConditionCheckItem";

export type QueueId = "step" | "compensation" | "run";

export interface FunctionAccess {
  readonly table: readonly TableAction[];
  /** Query the run-listing indexes as well as the table. */
  readonly queryIndexes: boolean;
  /** Queues it sends to (sqs:SendMessage). Consuming is granted by its event source. */
  readonly sendsTo: readonly QueueId[];
  /** Queues whose depth it reads (sqs:GetQueueAttributes), for /readyz, /metrics and overflow. */
  readonly readsDepthOf?: readonly QueueId[];
}

/** Reads a run, appends to its log (conditional puts, header updates, condition checks). */
const RUN_WRITER: readonly TableAction[] = [
  "GetItem",
  "Query",
  "PutItem",
  "UpdateItem",
  "ConditionCheckItem",
];

export const ACCESS: Readonly<Record<FunctionId, FunctionAccess>> = {
  // Starts runs (idempotency key), reads and lists them (GET /v1/runs and the run pages query
  // the indexes), cancels and redrives (appends); watches the step queue's backlog.
  api: {
    table: RUN_WRITER,
    queryIndexes: true,
    sendsTo: ["step", "compensation"],
    readsDepthOf: ["step"],
  },
  // Claims and records steps, hands on to the next step or to compensation.
  stepWorker: { table: RUN_WRITER, queryIndexes: false, sendsTo: ["step", "compensation"] },
  compensator: { table: RUN_WRITER, queryIndexes: false, sendsTo: ["step", "compensation"] },
  // Only creates runs (a transaction of Puts) and sends their first tasks.
  runTrigger: { table: ["GetItem", "Query", "PutItem"], queryIndexes: false, sendsTo: ["step"] },
  // Lists active runs by status (an index), then settles and re-drives them.
  sweeper: { table: RUN_WRITER, queryIndexes: true, sendsTo: ["step", "compensation"] },
};
