/**
 * The guard store on the saga table: three items per service, next to the runs.
 *
 * | item            | pk              | sk         | attributes                              |
 * |-----------------|-----------------|------------|-----------------------------------------|
 * | circuit breaker | `SVC#<service>` | `BREAKER`  | version state(JSON) writeId             |
 * | token bucket    | `SVC#<service>` | `BUCKET`   | tat factor throttledAt line (numbers)   |
 * | in-flight cap   | `SVC#<service>` | `INFLIGHT` | leases(map id → expiry) averageMs line  |
 *
 * The breaker is written by compare-and-set on `version` (PutItem conditioned on it, the item
 * as it is returned on a failed condition: a lost race costs no extra read). Tokens and leases
 * are taken with one UpdateItem each whose condition is the decision itself, e.g. for a token
 * `SET tat = tat + :interval IF tat BETWEEN :now - :tolerance AND :now`: DynamoDB applies
 * concurrent ones in turn and none has to be retried. A failed condition returns the item, from
 * which the next step is decided (the bucket was idle, or is empty). The conditions mirror the
 * pure functions in src/resilience; the contract suite holds both stores to the same results.
 *
 * The slots of workflows' concurrency limits live beside them (run-slot-store.ts).
 *
 * Items carry no TTL: they are a few hundred bytes per service. DynamoDB takes about 1,000
 * writes a second on one item, which bounds a rate-limited or capped service's calls per
 * second across all workers.
 */
import { randomUUID } from "node:crypto";
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { MaestroError } from "../../errors.js";
import { FULL_PACE, type Pace, restartTat, slowedPace } from "../../resilience/bucket.js";
import {
  ContentionError,
  type GuardStore,
  type PutResult,
  type RunSlotStore,
  type Versioned,
} from "../../resilience/guard-store.js";
import { createDynamoRunSlotStore } from "./run-slot-store.js";
import { SAGA_TABLE } from "./saga-table.js";
import { isSdkError, storeError } from "./store-errors.js";

export interface DynamoGuardStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

type Item = Record<string, AttributeValue>;
type Sk = "BREAKER" | "BUCKET" | "INFLIGHT";

export const servicePk = (service: string): string => `SVC#${service}`;

/** Conditional updates per operation before giving up (each failure says what changed). */
const MAX_ATTEMPTS = 6;

const keyOf = (service: string, sk: Sk): Item => ({
  [SAGA_TABLE.partitionKey]: { S: servicePk(service) },
  [SAGA_TABLE.sortKey]: { S: sk },
});
const n = (value: number): AttributeValue => ({ N: String(value) });
const num = (value: AttributeValue | undefined): number | undefined =>
  value?.N === undefined ? undefined : Number(value.N);

function paceOf(item: Item | undefined): Pace {
  const factor = num(item?.factor);
  return factor === undefined ? FULL_PACE : { factor, throttledAt: num(item?.throttledAt) ?? 0 };
}

function breakerOf(item: Item | undefined, service: string): Versioned | undefined {
  if (!item) return undefined;
  const version = num(item.version) ?? Number.NaN;
  if (!Number.isInteger(version) || version < 1) {
    // Only a hand-edited item gets here; no conditional write could ever replace it.
    throw new MaestroError(
      "internal",
      `the breaker item of service ${service} has no valid version: delete it`,
      { retryable: false },
    );
  }
  let state: unknown;
  try {
    state = JSON.parse(item.state?.S ?? "null");
  } catch {
    state = null;
  }
  // An unreadable state is handed on as an empty object: the guard starts afresh and its next
  // write replaces it.
  return { version, state: typeof state === "object" && state !== null ? state : {} };
}

/**
 * @example
 * const store = createDynamoGuardStore({ client: new DynamoDBClient({}), tableName: "maestro-prod" });
 */
export function createDynamoGuardStore(
  options: DynamoGuardStoreOptions,
): GuardStore & RunSlotStore {
  const { client, tableName } = options;
  // The last bucket clock and line ends seen, per service: they only pick which of two
  // conditional updates to try first (a wrong pick costs one failed request, not a wrong result).
  const lastTat = new Map<string, number>();
  const lastLine = new Map<string, number>();

  /** One conditional update: the item after it, or as it was when the condition failed. */
  async function update(
    service: string,
    sk: Sk,
    input: Omit<UpdateItemCommandInput, "TableName" | "Key">,
    action: string,
  ): Promise<{ ok: true; item: Item } | { ok: false; item: Item | undefined }> {
    try {
      const out = await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: keyOf(service, sk),
          ReturnValues: "ALL_NEW",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          ...input,
        }),
      );
      return { ok: true, item: out.Attributes ?? {} };
    } catch (error) {
      if (!isSdkError(error, "ConditionalCheckFailedException")) {
        throw storeError(error, `${action} for service ${service}`);
      }
      return { ok: false, item: (error as { Item?: Item }).Item };
    }
  }

  return {
    ...createDynamoRunSlotStore(options),
    async readBreaker(service) {
      try {
        const out = await client.send(
          new GetItemCommand({
            TableName: tableName,
            Key: keyOf(service, "BREAKER"),
            ConsistentRead: true,
          }),
        );
        return breakerOf(out.Item, service);
      } catch (error) {
        throw storeError(error, `reading the breaker of service ${service}`);
      }
    },

    async writeBreaker(service, state, expectedVersion): Promise<PutResult> {
      const version = expectedVersion + 1;
      // Tells our own write apart from another's when the SDK retries a request whose response
      // was lost and the retry meets the item the first attempt wrote.
      const writeId = randomUUID();
      const first = expectedVersion === 0;
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...keyOf(service, "BREAKER"),
              version: n(version),
              state: { S: JSON.stringify(state) },
              writeId: { S: writeId },
            },
            ConditionExpression: first ? "attribute_not_exists(#key)" : "#version = :expected",
            ExpressionAttributeNames: first
              ? { "#key": SAGA_TABLE.partitionKey }
              : { "#version": "version" },
            ...(!first && { ExpressionAttributeValues: { ":expected": n(expectedVersion) } }),
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        );
        return { ok: true, version };
      } catch (error) {
        if (!isSdkError(error, "ConditionalCheckFailedException")) {
          throw storeError(error, `writing the breaker of service ${service}`);
        }
        const existing = (error as { Item?: Item }).Item;
        if (existing?.writeId?.S === writeId) return { ok: true, version };
        return { ok: false, current: breakerOf(existing, service) };
      }
    },

    async takeToken(service, { now, intervalMs, toleranceMs }) {
      // takeToken in bucket.ts: a bucket idle for long (tat further behind than the tolerance)
      // restarts (restartTat); otherwise tat moves on by one interval if it has come.
      const floor = now - toleranceMs;
      const seen = lastTat.get(service);
      let idle = seen === undefined || seen < floor;
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const result = await update(
          service,
          "BUCKET",
          idle
            ? {
                UpdateExpression: "SET tat = :restart",
                ConditionExpression: "attribute_not_exists(tat) OR tat < :floor",
                ExpressionAttributeValues: {
                  ":restart": n(restartTat(now, intervalMs, toleranceMs)),
                  ":floor": n(floor),
                },
              }
            : {
                UpdateExpression: "SET tat = tat + :interval",
                ConditionExpression: "tat BETWEEN :floor AND :now",
                ExpressionAttributeValues: {
                  ":interval": n(intervalMs),
                  ":floor": n(floor),
                  ":now": n(now),
                },
              },
          "taking a token",
        );
        const tat = num(result.item?.tat);
        if (tat !== undefined) lastTat.set(service, tat);
        if (tat !== undefined && (result.ok || tat > now)) {
          return { taken: result.ok, nextAt: tat, pace: paceOf(result.item) };
        }
        idle = tat === undefined || tat < floor;
      }
      throw new ContentionError(`the bucket of service ${service}`, MAX_ATTEMPTS);
    },

    async slowDown(service, { now, debounceMs, until }) {
      if (until !== undefined) {
        await update(
          service,
          "BUCKET",
          {
            UpdateExpression: "SET tat = :resume",
            ConditionExpression: "attribute_not_exists(tat) OR tat < :resume",
            ExpressionAttributeValues: { ":resume": n(until) },
          },
          "pausing a bucket",
        );
      }
      // Compare-and-set on throttledAt: pushback is rare, and the new pace depends on the old.
      let seen: Item | undefined;
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const pace = paceOf(seen);
        if (seen && pace.throttledAt > now - debounceMs) return false;
        const next = slowedPace(pace, now);
        const result = await update(
          service,
          "BUCKET",
          {
            UpdateExpression: "SET factor = :factor, throttledAt = :now",
            ConditionExpression: seen?.throttledAt
              ? "throttledAt = :seen"
              : "attribute_not_exists(throttledAt)",
            ExpressionAttributeValues: {
              ":factor": n(next.factor),
              ":now": n(now),
              ...(seen?.throttledAt && { ":seen": seen.throttledAt }),
            },
          },
          "slowing down",
        );
        if (result.ok) return true;
        seen = result.item ?? {};
      }
      throw new ContentionError(`the pace of service ${service}`, MAX_ATTEMPTS);
    },

    async acquireLease(service, { now, max, id, until }) {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const result = await update(
          service,
          "INFLIGHT",
          {
            UpdateExpression: "SET leases.#id = :until",
            ConditionExpression: "size(leases) < :max",
            ExpressionAttributeNames: { "#id": id },
            ExpressionAttributeValues: { ":until": n(until), ":max": n(max) },
          },
          "taking a lease",
        );
        if (result.ok) return { acquired: true };
        const leases = result.item?.leases?.M;
        if (!leases) {
          // No lease map yet (a nested SET needs its parent): create it, then try again.
          await update(
            service,
            "INFLIGHT",
            {
              UpdateExpression: "SET leases = :empty",
              ConditionExpression: "attribute_not_exists(leases)",
              ExpressionAttributeValues: { ":empty": { M: {} } },
            },
            "creating the lease map",
          );
          continue;
        }
        const held = Object.entries(leases).map(([lease, v]) => [lease, num(v) ?? 0] as const);
        const expired = held.filter(([, expiry]) => expiry <= now);
        if (expired.length === 0) {
          return {
            acquired: false,
            soonestExpiry: Math.min(...held.map(([, expiry]) => expiry)),
            averageMs: num(result.item?.averageMs),
          };
        }
        // Leases of workers that died: removed only if still the same lease, then try again.
        const names = Object.fromEntries(expired.map(([lease], i) => [`#e${i}`, lease]));
        const values = Object.fromEntries(expired.map(([, expiry], i) => [`:e${i}`, n(expiry)]));
        await update(
          service,
          "INFLIGHT",
          {
            UpdateExpression: `REMOVE ${expired.map((_, i) => `leases.#e${i}`).join(", ")}`,
            ConditionExpression: expired.map((_, i) => `leases.#e${i} = :e${i}`).join(" AND "),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
          "removing expired leases",
        );
      }
      throw new ContentionError(`the leases of service ${service}`, MAX_ATTEMPTS);
    },

    async releaseLease(service, id, averageMs) {
      await update(
        service,
        "INFLIGHT",
        {
          UpdateExpression: `REMOVE leases.#id${averageMs === undefined ? "" : " SET averageMs = :avg"}`,
          ConditionExpression: "attribute_exists(leases)",
          ExpressionAttributeNames: { "#id": id },
          ...(averageMs !== undefined && { ExpressionAttributeValues: { ":avg": n(averageMs) } }),
          ReturnValues: "NONE",
        },
        "releasing a lease",
      );
    },

    async joinLine(service, line, { from, spacingMs }) {
      // joinLine in line.ts: behind the end of the line, or at `from` if the line ends earlier.
      const lineKey = `${line}\u0000${service}`;
      const seen = lastLine.get(lineKey);
      let behind = seen !== undefined && seen >= from;
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const result = await update(
          service,
          line === "bucket" ? "BUCKET" : "INFLIGHT",
          behind
            ? {
                UpdateExpression: "SET line = line + :spacing",
                ConditionExpression: "line >= :from",
                ExpressionAttributeValues: { ":spacing": n(spacingMs), ":from": n(from) },
              }
            : {
                UpdateExpression: "SET line = :end",
                ConditionExpression: "attribute_not_exists(line) OR line < :from",
                ExpressionAttributeValues: { ":end": n(from + spacingMs), ":from": n(from) },
              },
          "joining the line",
        );
        const end = num(result.item?.line);
        if (end !== undefined) lastLine.set(lineKey, end);
        if (result.ok && end !== undefined) return end - spacingMs;
        behind = end !== undefined && end >= from;
      }
      throw new ContentionError(`the line of service ${service}`, MAX_ATTEMPTS);
    },
  };
}
