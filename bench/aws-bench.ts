/**
 * `npx tsx bench/aws-bench.ts` (also run by `npm run bench`): billable AWS requests per
 * step on the Lambda path, measured against DynamoDB Local and the SQS emulator through
 * the real handlers, with and without the fast path, and the cost per million steps they
 * imply at list prices.
 */
import { performance } from "node:perf_hooks";
import { createDynamoSagaLog } from "../src/adapters/dynamodb/index.js";
import { fold } from "../src/engine/state.js";
import { silentLogger } from "../src/ports/logger.js";
import { staticWorkflows } from "../src/runtime/workflow-source.js";
import { localDynamoClient } from "../test/emulators/clients.js";
import { startDynamoLocal } from "../test/emulators/dynamo-local.js";
import { startFauxqs } from "../test/emulators/fauxqs.js";
import { countRequests, createHarness } from "../test/lambda/harness.js";
import { sequentialWorkflow } from "./engine-bench.js";
import { startNoopService } from "./noop-service.js";

/** us-east-1 list prices (USD per million), November 2026; state them with the figures. */
const PRICES = {
  dynamoWriteUnit: 0.625,
  dynamoReadUnit: 0.125,
  sqsRequest: 0.4,
  lambdaRequest: 0.2,
};

const STEPS = Number(process.env.BENCH_AWS_STEPS ?? 40);

function tally(list: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of list)
    counts[op.replace(/Command$/, "")] = (counts[op.replace(/Command$/, "")] ?? 0) + 1;
  return counts;
}

export async function awsBench(): Promise<void> {
  const [dynamo, sqs, service] = await Promise.all([
    startDynamoLocal(),
    startFauxqs(),
    startNoopService(),
  ]);
  try {
    const workflow = sequentialWorkflow(STEPS, service.url);
    console.log(
      `\nAWS path (real handlers; DynamoDB Local + SQS emulator), ${STEPS}-step sequential run`,
    );
    for (const [label, remainingMs] of [
      ["fast path on ", 900_000],
      ["fast path off", 1_000],
    ] as const) {
      const h = await createHarness(
        { dynamodb: dynamo.endpoint, sqs: sqs.endpoint },
        { workflows: staticWorkflows([workflow]), logger: silentLogger },
      );
      const polled: string[] = [];
      countRequests(h.sqs, polled);
      // Completion checks use their own client, so they are not counted as the run's cost.
      const checker = createDynamoSagaLog({
        client: localDynamoClient(dynamo.endpoint),
        tableName: h.deps.config.tableName,
      });
      const started = performance.now();
      const { body } = await h.api("POST", "/v1/runs", { workflow: workflow.name, input: {} });
      const runId = body.runId as string;
      await h.drain(
        async () => {
          const loaded = await checker.load(runId);
          const state = loaded && fold(loaded.snapshot, loaded.events);
          return state?.status === "succeeded";
        },
        { remainingMs, timeoutMs: 300_000 },
      );
      const wallMs = performance.now() - started;
      const runtime = tally(h.requests);
      // The event source's receives that returned messages: one per batch, like its deletes.
      // (Its empty long polls are a standing cost per queue, not a cost per step.)
      const deletes = tally(polled).DeleteMessageBatch ?? 0;
      const sourceOps = { ReceiveMessage: deletes, DeleteMessageBatch: deletes };
      const perStep = (n = 0) => (n / STEPS).toFixed(2);
      const writes = (runtime.PutItem ?? 0) + 2 * (runtime.TransactWriteItems ?? 0);
      const reads = runtime.Query ?? 0;
      const sqsRequests =
        (runtime.SendMessage ?? 0) +
        (runtime.SendMessageBatch ?? 0) +
        (sourceOps.ReceiveMessage ?? 0) +
        (sourceOps.DeleteMessageBatch ?? 0);
      const lambdaInvocations = deletes;
      const cost =
        (writes * PRICES.dynamoWriteUnit +
          reads * PRICES.dynamoReadUnit +
          sqsRequests * PRICES.sqsRequest +
          lambdaInvocations * PRICES.lambdaRequest) /
        STEPS;
      console.log(
        `  ${label}: ${(STEPS / wallMs) * 1000 > 0 ? ((STEPS / wallMs) * 1000).toFixed(0) : "?"} steps/s`,
      );
      console.log(
        `    per step: DynamoDB PutItem ${perStep(runtime.PutItem)}, TransactWriteItems ${perStep(runtime.TransactWriteItems)}, GetItem ${perStep(runtime.GetItem)}, Query ${perStep(runtime.Query)}` +
          ` | SQS sends ${perStep((runtime.SendMessage ?? 0) + (runtime.SendMessageBatch ?? 0))}, receives ${perStep(sourceOps.ReceiveMessage)}, delete batches ${perStep(sourceOps.DeleteMessageBatch)} | Lambda invocations ~${perStep(lambdaInvocations)}`,
      );
      console.log(
        `    ≈ $${cost.toFixed(3)} per million steps (requests only; Lambda duration excluded)`,
      );
    }
    console.log(
      `  prices used (USD per million, us-east-1 on-demand): DynamoDB write unit ${PRICES.dynamoWriteUnit}, read unit ${PRICES.dynamoReadUnit}; SQS request ${PRICES.sqsRequest}; Lambda request ${PRICES.lambdaRequest}. A PutItem ≤1 KB counts 1 write unit, a TransactWriteItems 2 per item; a Query ≤4 KB 1 read unit (strongly consistent).`,
    );
  } finally {
    await Promise.all([dynamo.stop(), sqs.stop(), service.close()]);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await awsBench();
