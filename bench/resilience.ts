/**
 * `npx tsx bench/resilience.ts` (not part of npm test): what the call guard costs, measured
 * against DynamoDB Local (started here; needs Java 17+).
 *
 * 1. Extra store requests per call for a healthy service behind a circuit breaker (the cache
 *    should make this ~0).
 * 2. The throughput cost of a shared token bucket with 50 concurrent workers, in one process
 *    (the workers share one guard) and as 50 processes (one guard each, as 50 Lambda instances).
 * 3. What an in-flight cap costs per call.
 *
 * Every call goes to an in-process fake service that answers after BENCH_CALL_MS (default 5).
 * Compare ratios, not absolute numbers: DynamoDB Local is not DynamoDB, and the machine is shared.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { createDynamoGuardStore, createSagaTable } from "../src/adapters/dynamodb/index.js";
import type { CallGuard } from "../src/ports/call-guard.js";
import { openGate } from "../src/ports/call-guard.js";
import { createCallGuard, type GuardStore } from "../src/resilience/index.js";
import type { ServiceDefinition } from "../src/workflow/model.js";
import { DEFAULT_RETRY } from "../src/workflow/policies.js";
import { localDynamoClient, uniqueName } from "../test/emulators/clients.js";
import { startDynamoLocal } from "../test/emulators/dynamo-local.js";

const WORKERS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CALL_MS = Number(process.env.BENCH_CALL_MS ?? 5);

interface Tally {
  /** DynamoDB requests, counted on the clients. */
  requests: number;
  byOperation: Record<string, number>;
}

function service(name: string, settings: Partial<ServiceDefinition>): ServiceDefinition {
  return {
    name,
    type: "http",
    endpoints: ["http://bench"],
    timeoutMs: 30_000,
    retry: DEFAULT_RETRY,
    headers: {},
    ...settings,
  };
}

/** A guard store on the bench table whose DynamoDB requests land in `tally`. */
function countedStore(endpoint: string, tableName: string, tally: Tally): GuardStore {
  const client = localDynamoClient(endpoint);
  (client.middlewareStack as { add: (mw: unknown, opts: unknown) => void }).add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: unknown) => {
        tally.requests++;
        const op = (context.commandName ?? "?").replace(/Command$/, "");
        tally.byOperation[op] = (tally.byOperation[op] ?? 0) + 1;
        return next(args);
      },
    { step: "initialize", name: "countRequests" },
  );
  return createDynamoGuardStore({ client, tableName });
}

/** `guards.length` workers (worker i uses guard i mod n) calling for SECONDS; calls and refusals. */
async function drive(guards: readonly CallGuard[], target: ServiceDefinition) {
  let calls = 0;
  let refusals = 0;
  const started = performance.now();
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, i) => {
      const guard = guards[i % guards.length] as CallGuard;
      while (Date.now() < until) {
        const admission = await guard.admit(target, Date.now());
        if (!admission.admitted) {
          refusals++;
          await sleep(Math.max(1, Math.min(admission.retryAt, until) - Date.now()));
          continue;
        }
        await sleep(CALL_MS);
        calls++;
        await admission.done({ ok: true });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { calls, refusals, perSecond: calls / seconds };
}

/** Conditional updates per second that DynamoDB Local takes on one item from WORKERS writers. */
async function itemCeiling(endpoint: string, tableName: string): Promise<number> {
  const client = localDynamoClient(endpoint);
  const Key = { pk: { S: uniqueName("CEILING") }, sk: { S: "X" } };
  let updates = 0;
  const started = performance.now();
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (Date.now() < until) {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key,
            UpdateExpression: "SET n = if_not_exists(n, :zero) + :one",
            ConditionExpression: "attribute_not_exists(n) OR n >= :zero",
            ExpressionAttributeValues: { ":zero": { N: "0" }, ":one": { N: "1" } },
          }),
        );
        updates++;
      }
    }),
  );
  return updates / ((performance.now() - started) / 1000);
}

function guards(count: number, endpoint: string, tableName: string, tally: Tally): CallGuard[] {
  return Array.from({ length: count }, () =>
    createCallGuard({ store: countedStore(endpoint, tableName, tally) }),
  );
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);
const newTally = (): Tally => ({ requests: 0, byOperation: {} });
const ops = (t: Tally) =>
  Object.entries(t.byOperation)
    .map(([op, count]) => `${op} ${count}`)
    .join(", ");

const dynamo = await startDynamoLocal();
try {
  const tableName = uniqueName("bench-guard");
  await createSagaTable(localDynamoClient(dynamo.endpoint), tableName);
  console.log(
    `Call guard benchmark (Node ${process.version}, DynamoDB Local, ${WORKERS} concurrent workers, ${SECONDS} s per case, calls answer in ${CALL_MS} ms)\n`,
  );

  const baseline = await drive([openGate], service("plain", {}));
  console.log(`No guard: ${fmt(baseline.perSecond, 0)} calls/s\n`);

  console.log("1. Healthy service behind a circuit breaker (default cacheMs 1000)");
  const breaker = {
    circuitBreaker: {
      failureThreshold: 5,
      windowMs: 60_000,
      minimumCalls: 10,
      openDurationMs: 30_000,
      halfOpenCalls: 1,
    },
  };
  for (const processes of [1, WORKERS]) {
    const tally = newTally();
    const result = await drive(
      guards(processes, dynamo.endpoint, tableName, tally),
      service(uniqueName("healthy"), breaker),
    );
    console.log(
      `  ${String(processes).padStart(2)} process(es): ${fmt(result.perSecond, 0)} calls/s (${fmt(result.perSecond / baseline.perSecond)}× no guard), ${result.calls} calls, ${tally.requests} store requests (${ops(tally)}) → ${fmt(tally.requests / result.calls, 4)} per call`,
    );
  }

  console.log("\n2. Shared token bucket");
  const cases = [
    { label: "not binding (100000/s)", rateLimit: { perSecond: 100_000, burst: 100_000 } },
    { label: "binding (500/s, burst 50)", rateLimit: { perSecond: 500, burst: 50 } },
  ];
  for (const { label, rateLimit } of cases) {
    console.log(`  ${label}:`);
    for (const processes of [1, WORKERS]) {
      const tally = newTally();
      const result = await drive(
        guards(processes, dynamo.endpoint, tableName, tally),
        service(uniqueName("bucket"), { rateLimit }),
      );
      console.log(
        `    ${String(processes).padStart(2)} process(es): ${fmt(result.perSecond, 0)} calls/s (${fmt(result.perSecond / baseline.perSecond)}× no guard), ${fmt(result.refusals / result.calls)} held back per call made; ${fmt(tally.requests / result.calls)} store requests per call (${ops(tally)})`,
      );
    }
  }

  console.log("\n3. In-flight cap (max_concurrency 25, 50 workers)");
  for (const processes of [1, WORKERS]) {
    const tally = newTally();
    const result = await drive(
      guards(processes, dynamo.endpoint, tableName, tally),
      service(uniqueName("capped"), { maxConcurrency: 25 }),
    );
    console.log(
      `  ${String(processes).padStart(2)} process(es): ${fmt(result.perSecond, 0)} calls/s (${fmt(result.perSecond / baseline.perSecond)}× no guard), ${fmt(result.refusals / result.calls)} held back per call made; ${fmt(tally.requests / result.calls)} store requests per call (${ops(tally)})`,
    );
  }
  console.log(
    `\nDynamoDB Local's own ceiling: ${fmt(await itemCeiling(dynamo.endpoint, tableName), 0)} conditional updates/s on one item from ${WORKERS} writers: the bound on 2 and 3 here (DynamoDB: about 1,000 writes/s per item)`,
  );
} finally {
  await dynamo.stop();
}
