/**
 * Creating a run: header, first events and idempotency key in one transaction, each on the
 * condition that it does not exist yet, so a run is created whole or not at all.
 */
import { randomUUID } from "node:crypto";
import { TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import { FINAL_STATUSES, type SagaEvent } from "../../engine/events.js";
import { MaestroError } from "../../errors.js";
import type { CreateResult, RunHeader } from "../../ports/saga-log.js";
import { assertItemFits } from "./item-size.js";
import { appendItem, headerItem, idempotencyItem, str } from "./items.js";
import { cancellationReasons, storeError } from "./store-errors.js";
import { putNew, type TableContext } from "./table-context.js";

/** Transactions that collide with a concurrent one on the same items are tried this often. */
const ATTEMPTS = 5;

export async function createRun(
  ctx: TableContext,
  header: RunHeader,
  events: readonly SagaEvent[],
  options: { idempotencyKey?: string },
): Promise<CreateResult> {
  const { client, tableName } = ctx;
  const key = options.idempotencyKey ?? header.idempotencyKey;
  const stored: RunHeader = { ...header, ...(key !== undefined && { idempotencyKey: key }) };
  const finished = FINAL_STATUSES.has(stored.status);
  const items = [
    putNew(tableName, headerItem(stored, finished ? ctx.expiry(stored.updatedAt) : undefined)),
  ];
  if (events.length > 0) {
    const item = appendItem({
      runId: header.runId,
      firstSeq: 1,
      events,
      appendedAt: header.updatedAt,
      writeId: randomUUID(),
    });
    assertItemFits(item, header.runId, 1, `the ${events.length} first events`);
    items.push(putNew(tableName, item));
  }
  const keyIndex = items.length;
  if (key !== undefined) {
    items.push(putNew(tableName, idempotencyItem(key, stored, ctx.expiry(stored.createdAt))));
  }

  for (let attempt = 1; ; attempt++) {
    try {
      // The SDK fills ClientRequestToken, so its own retries of this call are idempotent.
      await client.send(new TransactWriteItemsCommand({ TransactItems: items }));
      ctx.workflows.remember(header.runId, header.workflow);
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
      // A concurrent create with the same key (or run id) is in flight: try again, and find
      // its run once it committed.
      if (attempt < ATTEMPTS && reasons.some((r) => r.Code === "TransactionConflict")) {
        await sleep(20 * 2 ** attempt * Math.random());
        continue;
      }
      throw storeError(error, `creating run ${header.runId}`);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
