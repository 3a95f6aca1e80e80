/**
 * Sensitive values sealed at rest: the saga-log contract holds through the sealing log (on
 * the memory log and on DynamoDB Local), what the inner store keeps has no clear sensitive
 * value, and envelopes open only with the right key and in the right run.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createDynamoSagaLog, createSagaTable } from "../../src/adapters/dynamodb/index.js";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { sealedSagaLog } from "../../src/adapters/sealing/sealed-saga-log.js";
import { generateSealingKey, parseSealingKeys } from "../../src/adapters/sealing/sealing-keys.js";
import type { RunStarted, SagaEvent } from "../../src/engine/events.js";
import { fold } from "../../src/engine/state.js";
import type { RunHeader, SagaLog } from "../../src/ports/saga-log.js";
import type { WorkflowSource } from "../../src/runtime/workflow-source.js";
import { loadWorkflow } from "../../src/workflow/load.js";
import type { Workflow } from "../../src/workflow/model.js";
import { runSagaLogContract } from "../contracts/saga-log-contract.js";
import { dynamodbEndpoint, localDynamoClient, uniqueName } from "../emulators/endpoints.js";

const CARD = "4111111111111111";
const TOKEN = "tok_live_5f4e3d2c1b";

function compile(text: string): Workflow {
  const result = loadWorkflow(text);
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  return result.workflow;
}

const PAY = compile(`
name: pay
version: "1.0.0"
services:
  payments: { type: http, endpoint: "http://payments" }
steps:
  - id: charge
    service: payments
    method: POST /charges
    input: { number: "{{ .input.card.number }}" }
    output: charge
sensitive: [input.card.number, charge.card_token]
`);

/** Every workflow the contract names is sealed whole at `input`: the strictest round trip. */
const everything: WorkflowSource = {
  async get(name, version) {
    return name === "pay"
      ? PAY
      : compile(`
name: ${name}
version: "${version}"
services: { s: { type: http, endpoint: "http://s" } }
steps: [{ id: a, service: s, method: POST /a }]
sensitive: [input]
`);
  },
};

const keys = parseSealingKeys(generateSealingKey(), "test key");

runSagaLogContract("sealed memory", async () => ({
  log: sealedSagaLog(createMemorySagaLog(), { keys, workflows: everything }),
}));

const endpoint = dynamodbEndpoint();
describe.skipIf(endpoint === undefined)("sealed DynamoDB Local", () => {
  let tableName: string | undefined;
  runSagaLogContract("sealed dynamodb", async () => {
    const client = localDynamoClient(endpoint ?? "");
    if (tableName === undefined) {
      tableName = uniqueName("sealed");
      await createSagaTable(client, tableName);
    }
    return {
      log: sealedSagaLog(createDynamoSagaLog({ client, tableName }), {
        keys,
        workflows: everything,
      }),
    };
  });
});

function header(runId: string): RunHeader {
  return {
    runId,
    workflow: "pay",
    version: "1.0.0",
    status: "running",
    createdAt: 1,
    updatedAt: 1,
    correlationId: "c",
  };
}

function started(runId: string): RunStarted {
  return {
    type: "run_started",
    at: 1,
    runId,
    workflow: "pay",
    version: "1.0.0",
    input: { card: { number: CARD, holder: "Ann" }, note: "ok" },
    correlationId: "c",
    deadlineAt: 10_000,
  };
}

const charged: SagaEvent = {
  type: "step_succeeded",
  at: 2,
  stepId: "charge",
  attempt: 1,
  startedAt: 2,
  // The service echoes the card number in a field nobody marked.
  output: { id: "ch_1", card_token: TOKEN, receipt: `charged card ${CARD}` },
};

describe("sealed saga log", () => {
  it("keeps sensitive values and their echoes sealed at rest and returns them clear", async () => {
    const stored = createMemorySagaLog();
    const log = sealedSagaLog(stored, { keys, workflows: { get: async () => PAY } });
    const runId = randomUUID();
    await log.create(header(runId), [started(runId)]);
    const state = fold(undefined, [...((await log.load(runId))?.events ?? [])]);
    await log.append(runId, 1, [charged], { snapshot: fold(state, [{ ...charged, seq: 2 }]) });
    const failed: SagaEvent = {
      type: "run_failed",
      at: 3,
      error: { code: "internal", message: `card ${CARD} declined`, retryable: false },
    };
    await log.append(runId, 2, [failed]);

    const atRest = JSON.stringify(await stored.load(runId));
    expect(atRest).not.toContain(CARD);
    expect(atRest).not.toContain(TOKEN);
    expect(atRest).toContain('"holder":"Ann"');
    expect(atRest).toContain('"note":"ok"');

    const loaded = await log.load(runId);
    expect(loaded?.snapshot?.input).toEqual(started(runId).input);
    expect(loaded?.snapshot?.steps.charge?.output).toEqual((charged as { output: unknown }).output);
    expect(loaded?.events.map(({ seq: _, ...e }) => e)).toEqual([failed]);
    const history = await log.events?.(runId, 0);
    expect(history?.map(({ seq: _, ...e }) => e)).toEqual([started(runId), charged, failed]);
  });

  it("seals an echo written by a process that had not seen the value", async () => {
    const stored = createMemorySagaLog();
    const workflows = { get: async () => PAY };
    const first = sealedSagaLog(stored, { keys, workflows });
    const second = sealedSagaLog(stored, { keys, workflows });
    const runId = randomUUID();
    await first.create(header(runId), [started(runId)]);
    await second.load(runId);
    await second.append(runId, 1, [charged]);
    // `first` knew the run at seq 1; it must learn the token before writing its echo.
    await first.append(runId, 2, [
      { type: "run_cancel_requested", at: 4, reason: `token ${TOKEN} reported stolen` },
    ]);
    expect(JSON.stringify(await stored.load(runId))).not.toContain(TOKEN);
    const events = (await first.load(runId))?.events ?? [];
    expect(events.at(-1)).toMatchObject({ reason: `token ${TOKEN} reported stolen` });
  });

  it("opens with any configured key, and not with another key or in another run", async () => {
    const oldKey = generateSealingKey();
    const newKey = generateSealingKey();
    const stored = createMemorySagaLog();
    const workflows = { get: async () => PAY };
    const runId = randomUUID();
    await sealedSagaLog(stored, { keys: parseSealingKeys(oldKey, "old"), workflows }).create(
      header(runId),
      [started(runId)],
    );

    const rotated = sealedSagaLog(stored, {
      keys: parseSealingKeys(`${newKey},${oldKey}`, "MAESTRO_SEALING_KEY"),
      workflows,
    });
    expect((await rotated.load(runId))?.events[0]).toMatchObject({
      input: { card: { number: CARD } },
    });

    const stranger = sealedSagaLog(stored, {
      keys: parseSealingKeys(newKey, "MAESTRO_SEALING_KEY"),
      workflows,
    });
    await expect(stranger.load(runId)).rejects.toThrow(
      /sealed with key [0-9a-f]{8}, which MAESTRO_SEALING_KEY does not hold/,
    );

    // The same envelope pasted into another run does not open there.
    const raw = (await stored.load(runId))?.events[0] as { input: unknown };
    const otherId = randomUUID();
    await stored.create(header(otherId), [{ ...started(otherId), input: raw.input }]);
    await expect(
      sealedSagaLog(stored, { keys: parseSealingKeys(oldKey, "old"), workflows }).load(otherId),
    ).rejects.toThrow(/does not open with key .* from another run/);
  });

  it("refuses key material that is too short, without quoting it", () => {
    expect(() => parseSealingKeys("short-secret", "MAESTRO_SEALING_KEY")).toThrow(
      /^MAESTRO_SEALING_KEY: key 1 is 12 characters; a sealing key needs at least 32$/,
    );
    expect(() => parseSealingKeys(" , ", "f")).toThrow(/no sealing key/);
  });

  it("stores a workflow without sensitive fields as it is", async () => {
    const stored: SagaLog = createMemorySagaLog();
    const log = sealedSagaLog(stored, { keys, workflows: { get: async () => undefined } });
    const runId = randomUUID();
    await log.create(header(runId), [started(runId)]);
    expect(JSON.stringify(await stored.load(runId))).toContain(CARD);
  });
});
