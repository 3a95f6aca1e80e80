/**
 * Run slots on the saga table: one item per workflow (and key), next to the service items.
 *
 * | item       | pk                           | sk     | attributes              |
 * |------------|------------------------------|--------|-------------------------|
 * | run slots  | `WF#<workflow>[#<key>]`      | `RUNS` | slots(map runId → expiry) |
 *
 * A slot is taken with one UpdateItem whose condition is `takeSlot` of run-slots.ts:
 * `SET slots.#run = :until IF attribute_exists(slots.#run) OR size(slots) < :max`, so
 * concurrent runs racing for the last slot are applied in turn and exactly one gets it, and a
 * run that asks again (a duplicate delivery) keeps the one it holds. A failed condition returns
 * the item: expired slots in it (a run whose release was lost) are removed, conditionally on
 * being unchanged, and the take is tried again.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { ContentionError, type RunSlotStore } from "../../resilience/guard-store.js";
import { SAGA_TABLE } from "./saga-table.js";
import { isSdkError, storeError } from "./store-errors.js";

type Item = Record<string, AttributeValue>;

export const runSlotPk = (slot: string): string => `WF#${slot}`;

const MAX_ATTEMPTS = 6;
const keyOf = (slot: string): Item => ({
  [SAGA_TABLE.partitionKey]: { S: runSlotPk(slot) },
  [SAGA_TABLE.sortKey]: { S: "RUNS" },
});
const n = (value: number): AttributeValue => ({ N: String(value) });

function slotsOf(item: Item | undefined): Record<string, number> | undefined {
  const map = item?.slots?.M;
  if (!map) return undefined;
  return Object.fromEntries(Object.entries(map).map(([id, v]) => [id, Number(v.N ?? 0)]));
}

export function createDynamoRunSlotStore(options: {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}): RunSlotStore {
  const { client, tableName } = options;

  async function update(
    slot: string,
    input: Omit<UpdateItemCommandInput, "TableName" | "Key">,
    action: string,
  ): Promise<{ ok: boolean; item: Item | undefined }> {
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: keyOf(slot),
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          ...input,
        }),
      );
      return { ok: true, item: undefined };
    } catch (error) {
      if (!isSdkError(error, "ConditionalCheckFailedException")) {
        throw storeError(error, `${action} of workflow slot ${slot}`);
      }
      return { ok: false, item: (error as { Item?: Item }).Item };
    }
  }

  return {
    async takeRunSlot(slot, { now, max, id, until }) {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const result = await update(
          slot,
          {
            UpdateExpression: "SET slots.#id = :until",
            ConditionExpression: "attribute_exists(slots.#id) OR size(slots) < :max",
            ExpressionAttributeNames: { "#id": id },
            ExpressionAttributeValues: { ":until": n(until), ":max": n(max) },
          },
          "taking a slot",
        );
        if (result.ok) return { acquired: true };
        const held = slotsOf(result.item);
        if (!held) {
          // No slot map yet (a nested SET needs its parent): create it, then try again.
          await update(
            slot,
            {
              UpdateExpression: "SET slots = :empty",
              ConditionExpression: "attribute_not_exists(slots)",
              ExpressionAttributeValues: { ":empty": { M: {} } },
            },
            "creating the slot map",
          );
          continue;
        }
        const entries = Object.entries(held);
        const expired = entries.filter(([, expiry]) => expiry <= now);
        if (expired.length === 0) {
          return { acquired: false, soonestExpiry: Math.min(...entries.map(([, e]) => e)) };
        }
        const names = Object.fromEntries(expired.map(([run], i) => [`#e${i}`, run]));
        const values = Object.fromEntries(expired.map(([, expiry], i) => [`:e${i}`, n(expiry)]));
        await update(
          slot,
          {
            UpdateExpression: `REMOVE ${expired.map((_, i) => `slots.#e${i}`).join(", ")}`,
            ConditionExpression: expired.map((_, i) => `slots.#e${i} = :e${i}`).join(" AND "),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
          "removing expired slots",
        );
      }
      throw new ContentionError(`the slots of workflow ${slot}`, MAX_ATTEMPTS);
    },

    async releaseRunSlot(slot, runId) {
      await update(
        slot,
        {
          UpdateExpression: "REMOVE slots.#id",
          ConditionExpression: "attribute_exists(slots)",
          ExpressionAttributeNames: { "#id": runId },
        },
        "releasing a slot",
      );
    },

    async readRunSlots(slot) {
      try {
        const out = await client.send(
          new GetItemCommand({ TableName: tableName, Key: keyOf(slot), ConsistentRead: true }),
        );
        return slotsOf(out.Item) ?? {};
      } catch (error) {
        throw storeError(error, `reading workflow slot ${slot}`);
      }
    },
  };
}
