/**
 * The saga log on DynamoDB: the durable store of every run in AWS. Item layout and indexes are
 * described in saga-table.ts. Cost per operation, in requests:
 *
 * - append: one PutItem; one TransactWriteItems instead when the run's status changes (start
 *   and end), plus one GetItem if this instance has not seen the run's workflow name.
 * - load: one Query while snapshots come at least every `loadPageItems - 2` appends.
 * - create: one TransactWriteItems (header, first events, idempotency key).
 * - list: one Query with a status filter; one per status (8) without.
 * - a conflict: one more Query, to tell the caller the actual head.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type Clock, systemClock } from "../../ports/clock.js";
import type { SagaLog } from "../../ports/saga-log.js";
import { appendRun } from "./append-run.js";
import { createRun } from "./create-run.js";
import { listRuns } from "./list-runs.js";
import { loadRun, readEvents } from "./load-run.js";
import { createWorkflowCache, type TableContext } from "./table-context.js";

/** Options for {@link createDynamoSagaLog}. */
export interface DynamoSagaLogOptions {
  readonly client: DynamoDBClient;
  /** A table made like `createSagaTable` makes it (or by the CDK stack). */
  readonly tableName: string;
  /**
   * Keep a finished run this long after it finished, then let DynamoDB's TTL delete it.
   *
   * Only the run's header and its idempotency key get `expiresAt`. Appends written before the
   * run finished are never rewritten (that would cost a write per event), and giving appends
   * written while the run is finished an expiry would punch holes in the log of a run that an
   * operator redrives. So once the header is gone the run is gone for `load` and `list`, and
   * its append items stay until something deletes the partition (e.g. a DynamoDB Streams
   * consumer on the header's TTL removal). The idempotency key expires `ttlSeconds` after the
   * run was created: that is how long starting with the same key returns the same run.
   * Without `ttlSeconds` nothing expires.
   */
  readonly ttlSeconds?: number;
  /** Stamps `updatedAt` when `append` is given no `now`. @default systemClock */
  readonly clock?: Clock;
  /**
   * Items per page when loading (the header counts as one). One page holds a load when the
   * writer snapshots at least every `loadPageItems - 2` appends (the runtime does every 16
   * events at most). Larger pages read more history from before the snapshot; smaller ones
   * need a second request. @default 20
   */
  readonly loadPageItems?: number;
}

const WORKFLOW_CACHE_SIZE = 1000;

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
  const ctx: TableContext = {
    client,
    tableName,
    expiry: (fromMs) =>
      ttlSeconds === undefined ? undefined : Math.ceil(fromMs / 1000) + ttlSeconds,
    workflows: createWorkflowCache(WORKFLOW_CACHE_SIZE),
  };

  return {
    create: (header, events, createOptions = {}) => createRun(ctx, header, events, createOptions),

    append: (runId, expectedSeq, events, appendOptions = {}) =>
      appendRun(ctx, {
        runId,
        expectedSeq,
        events,
        ...(appendOptions.snapshot && { snapshot: appendOptions.snapshot }),
        ...(appendOptions.status !== undefined && { status: appendOptions.status }),
        ...(appendOptions.version !== undefined && { version: appendOptions.version }),
        now: appendOptions.now ?? clock.now(),
      }),

    async load(runId) {
      const loaded = await loadRun({ client, tableName, pageItems }, runId);
      if (loaded) ctx.workflows.remember(runId, loaded.header.workflow);
      return loaded;
    },

    list: (query) => listRuns({ client, tableName }, query),

    events: (runId, afterSeq) => readEvents({ client, tableName, pageItems }, runId, afterSeq),
  };
}
