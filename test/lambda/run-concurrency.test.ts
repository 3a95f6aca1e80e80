/**
 * A workflow's concurrency limit on the AWS runtime: runs start through the `api` handler,
 * concurrent worker invocations take tasks from the step queue (the SQS emulator), and run
 * slots live in DynamoDB Local. The service counts the runs it serves at once.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { createDynamoRunSlotStore } from "../../src/adapters/dynamodb/run-slot-store.js";
import { FINAL_STATUSES } from "../../src/engine/events.js";
import { fold } from "../../src/engine/state.js";
import { silentLogger } from "../../src/ports/logger.js";
import type { ServiceCaller } from "../../src/ports/service-caller.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { dynamodbEndpoint, sqsEndpoint } from "../emulators/endpoints.js";
import { workflowFrom } from "../helpers/workflows.js";
import { createHarness, type Harness } from "./harness.js";

const endpoint = dynamodbEndpoint();

const workflow = workflowFrom(`
name: limited
version: "1"
concurrency: { max: 2 }
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - { id: first, service: svc, method: POST /first }
  - { id: second, service: svc, method: POST /second }
`);

/** Counts runs between their first call's start and their second call's end. */
function countingService() {
  const active = new Set<string>();
  const stats = { max: 0, calls: 0 };
  const caller: ServiceCaller = {
    async call(request) {
      const runId = request.idempotencyKey.split("/")[0] ?? "";
      stats.calls++;
      if (request.method === "POST /first") {
        active.add(runId);
        stats.max = Math.max(stats.max, active.size);
      }
      await sleep(30);
      if (request.method === "POST /second") active.delete(runId);
      return { ok: true, output: {} };
    },
  };
  return { caller, stats };
}

/** Starts one run per input through the api handler, drains the queue, returns the final states. */
async function runAll(h: Harness, workflow: string, inputs: readonly unknown[]) {
  const ids: string[] = [];
  for (const input of inputs) {
    const started = await h.api("POST", "/v1/runs", { workflow, input });
    expect(started.status).toBe(201);
    ids.push(started.body.runId as string);
  }
  const states = async () =>
    Promise.all(
      ids.map(async (id) => {
        const loaded = await h.deps.log.load(id);
        return loaded && fold(loaded.snapshot, loaded.events);
      }),
    );
  await h.drain(async () => (await states()).every((s) => s && FINAL_STATUSES.has(s.status)), {
    workers: inputs.length,
    timeoutMs: 60_000,
  });
  return states();
}

describe.skipIf(endpoint === undefined)("concurrency limit on the Lambda runtime", () => {
  it("keeps at most max runs going at once across concurrent workers; all succeed", async () => {
    const service = countingService();
    const h = await createHarness(
      { dynamodb: endpoint ?? "", sqs: sqsEndpoint() },
      {
        workflows: staticWorkflows([workflow]),
        caller: service.caller,
        logger: silentLogger,
      },
    );
    const ended = await runAll(
      h,
      "limited",
      Array.from({ length: 5 }, (_, i) => ({ i })),
    );
    expect(ended.map((s) => s?.status)).toEqual(Array(5).fill("succeeded"));
    expect(service.stats.max).toBeLessThanOrEqual(2);
    expect(service.stats.calls).toBe(10);
    // Every slot was given back.
    const slots = createDynamoRunSlotStore({
      client: h.deps.dynamo,
      tableName: h.deps.config.tableName,
    });
    expect(await slots.readRunSlots("limited")).toEqual({});
  });

  it("limits each key on its own and never stores a sensitive key in the table", async () => {
    const keyed = workflowFrom(`
name: per_customer
version: "1"
sensitive: [input.email]
concurrency: { max: 1, key: "{{ .input.email }}" }
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - { id: first, service: svc, method: POST /first, input: { email: "{{ .input.email }}" } }
  - { id: second, service: svc, method: POST /second, input: { email: "{{ .input.email }}" } }
`);
    const active = new Map<string, number>();
    let overlap = 0;
    const caller: ServiceCaller = {
      async call(request) {
        const email = (request.input as { email: string }).email;
        if (request.method === "POST /first") {
          active.set(email, (active.get(email) ?? 0) + 1);
          overlap = Math.max(overlap, active.get(email) ?? 0);
        }
        await sleep(30);
        if (request.method === "POST /second") active.set(email, (active.get(email) ?? 1) - 1);
        return { ok: true, output: {} };
      },
    };
    const h = await createHarness(
      { dynamodb: endpoint ?? "", sqs: sqsEndpoint() },
      { workflows: staticWorkflows([keyed]), caller, logger: silentLogger },
    );
    const emails = ["ada@example.com", "ada@example.com", "ada@example.com", "bob@example.com"];
    const ended = await runAll(
      h,
      "per_customer",
      emails.map((email) => ({ email })),
    );
    expect(ended.map((s) => s?.status)).toEqual(Array(4).fill("succeeded"));
    expect(overlap).toBe(1);
    // Neither the runs nor their slot records hold the address in the clear.
    const items = await h.deps.dynamo.send(new ScanCommand({ TableName: h.deps.config.tableName }));
    expect(items.Count ?? 0).toBeGreaterThan(0);
    const stored = JSON.stringify(items.Items);
    expect(stored).toContain("per_customer#");
    expect(stored).not.toContain("example.com");
  });
});
