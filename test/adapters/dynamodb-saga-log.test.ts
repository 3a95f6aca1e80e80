import { randomUUID } from "node:crypto";
import {
  type DynamoDBClient,
  GetItemCommand,
  InternalServerError,
  ProvisionedThroughputExceededException,
} from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createDynamoSagaLog,
  createSagaTable,
  type DynamoSagaLogOptions,
  SAGA_TABLE,
} from "../../src/adapters/dynamodb/index.js";
import type { RunStatus, SagaEvent } from "../../src/engine/events.js";
import { fold } from "../../src/engine/state.js";
import { AppendConflictError, MaestroError, PayloadTooLargeError } from "../../src/errors.js";
import type { LoggedEvent, RunHeader } from "../../src/ports/saga-log.js";
import { runSagaLogContract } from "../contracts/saga-log-contract.js";
import { dynamodbEndpoint, localDynamoClient, uniqueName } from "../emulators/endpoints.js";

const endpoint = dynamodbEndpoint();

describe.skipIf(endpoint === undefined)("DynamoDB saga log (DynamoDB Local)", () => {
  const client = () => localDynamoClient(endpoint ?? "");
  let tableName: string;

  beforeAll(async () => {
    tableName = uniqueName("saga");
    await createSagaTable(client(), tableName);
  });

  /** A log on this file's table, through a fresh client whose requests are recorded. */
  function newLog(options: Partial<DynamoSagaLogOptions> = {}) {
    const counted = options.client ?? client();
    const commands = recordCommands(counted);
    return { log: createDynamoSagaLog({ tableName, ...options, client: counted }), commands };
  }

  runSagaLogContract("dynamodb", async () => newLog());

  it("writes once per append, and loads with one Query", async () => {
    const { log, commands } = newLog();
    const run = newRun();
    await log.create(run, [started(run)], { idempotencyKey: `key-${run.runId}` });
    expect(commands.splice(0)).toEqual(["TransactWriteItems"]);

    for (let seq = 1; seq <= 5; seq++) await log.append(run.runId, seq, [succeeded(`s${seq}`)]);
    expect(commands.splice(0)).toEqual(Array(5).fill("PutItem"));

    // A status change also moves the header, atomically with the events.
    await log.append(run.runId, 6, [finished()], { status: "succeeded" });
    expect(commands.splice(0)).toEqual(["TransactWriteItems"]);

    const loaded = await log.load(run.runId);
    expect(commands.splice(0)).toEqual(["Query"]);
    expect(loaded).toMatchObject({ seq: 7, header: { status: "succeeded" } });
  });

  it("reads the header's workflow once when this instance never saw the run", async () => {
    const run = newRun();
    await newLog().log.create(run, [started(run)]);
    const { log, commands } = newLog();

    await log.append(run.runId, 1, [failed("charge")], { status: "compensating" });

    expect(commands).toEqual(["GetItem", "TransactWriteItems"]);
    const listed = await log.list({ workflow: run.workflow, status: "compensating" });
    expect(listed.runs.map((r) => r.runId)).toEqual([run.runId]);
  });

  it("loads a long run in one Query, from its latest snapshot", async () => {
    const { log, commands } = newLog();
    const run = newRun();
    const all: LoggedEvent[] = [{ ...started(run), seq: 1 }];
    await log.create(run, [started(run)]);
    let sinceSnapshot = 1;
    // As the runtime does: a snapshot every 16 events.
    for (let seq = 1; seq < 100; seq++) {
      const event = succeeded(`step-${seq}`);
      all.push({ ...event, seq: seq + 1 });
      const snapshot = ++sinceSnapshot >= 16 ? fold(undefined, all) : undefined;
      if (snapshot) sinceSnapshot = 0;
      await log.append(run.runId, seq, [event], { ...(snapshot && { snapshot }) });
    }
    commands.splice(0);

    const loaded = await log.load(run.runId);

    expect(commands).toEqual(["Query"]);
    expect(loaded?.seq).toBe(100);
    expect(loaded?.snapshot?.seq).toBe(96);
    expect(loaded?.events.map((e) => e.seq)).toEqual([97, 98, 99, 100]);
    expect(fold(loaded?.snapshot, loaded?.events ?? [])).toEqual(fold(undefined, all));
  });

  it("reads further pages when the snapshot is not on the first", async () => {
    const { log, commands } = newLog({ loadPageItems: 3 });
    const run = newRun();
    await log.create(run, [started(run)]);
    for (let seq = 1; seq <= 6; seq++) await log.append(run.runId, seq, [succeeded(`s${seq}`)]);
    commands.splice(0);

    const loaded = await log.load(run.runId);

    expect(commands).toEqual(["Query", "Query", "Query"]);
    expect(loaded?.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("rejects an oversize append before sending it, naming the run, seq and size", async () => {
    const { log, commands } = newLog();
    const run = newRun();
    await log.create(run, [started(run)]);
    commands.splice(0);
    const huge = { ...succeeded("export"), output: { csv: "x".repeat(400 * 1024) } };

    const error = await log.append(run.runId, 1, [huge]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as Error).message).toMatch(
      new RegExp(`run ${run.runId}: .* from seq 2 is \\d+ bytes`),
    );
    expect((error as PayloadTooLargeError).retryable).toBe(false);
    expect(commands).toEqual([]);
    expect((await log.load(run.runId))?.seq).toBe(1);
  });

  it("puts the actual head in a conflict, not the first append in its way", async () => {
    const { log } = newLog();
    const run = newRun();
    await log.create(run, [started(run)]);
    await log.append(run.runId, 1, [succeeded("a")]);
    await log.append(run.runId, 2, [succeeded("b"), succeeded("c"), succeeded("d")]);

    const error = await log.append(run.runId, 1, [succeeded("late")]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AppendConflictError);
    expect(error).toMatchObject({ expectedSeq: 1, actualSeq: 5 });
  });

  it("lets the SDK retry a throttled append, which then lands once", async () => {
    const throttled = client();
    let attempts = 0;
    throttled.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "PutItemCommand" && ++attempts <= 2) {
          throw new ProvisionedThroughputExceededException({
            message: "injected throttle",
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: "finalizeRequest", priority: "low", name: "injectThrottling" },
    );
    const { log, commands } = newLog({ client: throttled });
    const run = newRun();
    await log.create(run, [started(run)]);

    await log.append(run.runId, 1, [succeeded("a")]);

    expect(attempts).toBe(3);
    expect(commands.filter((c) => c === "PutItem")).toEqual(["PutItem"]);
    const loaded = await log.load(run.runId);
    expect(loaded?.events.map((e) => e.seq)).toEqual([1, 2]);
  });

  it("takes a retried put that meets its own first attempt as success, not conflict", async () => {
    const flaky = client();
    let puts = 0;
    flaky.middlewareStack.add(
      (next, context) => async (args) => {
        const attempt = context.commandName === "PutItemCommand" ? ++puts : 0;
        const result = await next(args);
        // The write landed, but the caller never hears so: the SDK retries it.
        if (attempt === 1) {
          throw new InternalServerError({ message: "lost", $metadata: { httpStatusCode: 500 } });
        }
        return result;
      },
      { step: "finalizeRequest", priority: "low", name: "loseFirstResponse" },
    );
    const { log } = newLog({ client: flaky });
    const run = newRun();
    await log.create(run, [started(run)]);

    await log.append(run.runId, 1, [succeeded("a")]);

    expect(puts).toBe(2);
    expect((await log.load(run.runId))?.events.map((e) => e.seq)).toEqual([1, 2]);
    await expect(log.append(run.runId, 1, [succeeded("b")])).rejects.toBeInstanceOf(
      AppendConflictError,
    );
  });

  it("creates one run for concurrent starts with the same idempotency key", async () => {
    const { log } = newLog();
    const key = `key-${randomUUID()}`;
    const runs = Array.from({ length: 6 }, () => newRun({ idempotencyKey: key }));

    const results = await Promise.all(runs.map((run) => log.create(run, [started(run)])));

    const winners = results.filter((r) => r.created);
    expect(winners).toHaveLength(1);
    expect(new Set(results.map((r) => r.runId))).toEqual(new Set([winners[0]?.runId]));
  });

  it("sets expiresAt on a finished run's header, and removes it on a redrive", async () => {
    const { log } = newLog({ ttlSeconds: 3600 });
    const run = newRun();
    const key = `key-${randomUUID()}`;
    await log.create(run, [started(run)], { idempotencyKey: key });
    const expiresAt = async (pk: string, sk: string) => {
      const output = await client().send(
        new GetItemCommand({
          TableName: tableName,
          Key: { [SAGA_TABLE.partitionKey]: { S: pk }, [SAGA_TABLE.sortKey]: { S: sk } },
          ConsistentRead: true,
        }),
      );
      const value = output.Item?.[SAGA_TABLE.ttlAttribute]?.N;
      return value === undefined ? undefined : Number(value);
    };
    const head = () => expiresAt(`RUN#${run.runId}`, "HEAD");
    expect(await head()).toBeUndefined();
    expect(await expiresAt(`IDEMP#${key}`, "IDEMP")).toBe(run.createdAt / 1000 + 3600);

    const finishedAt = run.createdAt + 60_000;
    await log.append(run.runId, 1, [failed("charge")], { status: "compensation_failed" });
    await log.append(run.runId, 2, [finished()], {
      status: "compensation_failed",
      now: finishedAt,
    });
    expect(await head()).toBe(finishedAt / 1000 + 3600);

    await log.append(run.runId, 3, [{ type: "run_redriven", at: finishedAt + 1 }], {
      status: "compensating",
    });
    expect(await head()).toBeUndefined();
  });

  it("lists every run, newest first across statuses, when no filter is given", async () => {
    const table = uniqueName("saga-list");
    await createSagaTable(client(), table);
    const log = createDynamoSagaLog({ client: client(), tableName: table });
    const statuses: RunStatus[] = ["running", "succeeded", "failed", "running", "compensating"];
    const created: RunHeader[] = [];
    for (const [i, status] of statuses.entries()) {
      const run = newRun({ status, createdAt: T0 + i * 1000 });
      await log.create(run, [started(run)]);
      created.push(run);
    }

    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await log.list({ limit: 2, ...(cursor !== undefined && { cursor }) });
      pages.push(page.runs.map((r) => r.runId));
      cursor = page.cursor;
    } while (cursor !== undefined);

    expect(pages).toEqual([[4, 3], [2, 1], [0]].map((page) => page.map((i) => created[i]?.runId)));
  });

  it("rejects appends without events", async () => {
    const { log } = newLog();
    const run = newRun();
    await log.create(run, [started(run)]);
    await expect(log.append(run.runId, 1, [])).rejects.toMatchObject({ code: "invalid_argument" });
  });

  it("turns SDK errors into MaestroErrors", async () => {
    const log = createDynamoSagaLog({ client: client(), tableName: uniqueName("missing") });

    const error = await log.load("run-1").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MaestroError);
    expect(error).toMatchObject({ code: "failed_precondition", retryable: false });
    expect((error as Error).message).toMatch(/ResourceNotFoundException/);
    await expect(log.append("run-1", 1, [succeeded("a")])).rejects.toBeInstanceOf(MaestroError);
  });

  it("reports throttling that outlasts the SDK's retries as a retryable unavailable", async () => {
    const throttled = client();
    throttled.middlewareStack.add(
      () => async () => {
        throw new ProvisionedThroughputExceededException({
          message: "injected throttle",
          $metadata: { httpStatusCode: 400 },
        });
      },
      { step: "finalizeRequest", priority: "low", name: "alwaysThrottle" },
    );
    const log = createDynamoSagaLog({ client: throttled, tableName });
    // No backoff to wait for in a test: the retries themselves are the SDK's business.
    throttled.config.maxAttempts = async () => 1;

    const error = await log.append("run-1", 1, [succeeded("a")]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MaestroError);
    expect(error).toMatchObject({ code: "unavailable", retryable: true });
    expect((error as Error).cause).toBeInstanceOf(ProvisionedThroughputExceededException);
  });
});

/** Records the name of each command sent through the client (once per call, not per retry). */
function recordCommands(client: DynamoDBClient): string[] {
  const names: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      names.push(String(context.commandName).replace(/Command$/, ""));
      return next(args);
    },
    { step: "initialize", name: "recordCommands" },
  );
  return names;
}

const T0 = Date.UTC(2025, 0, 15, 9, 30);

function newRun(overrides: Partial<RunHeader> = {}): RunHeader {
  const runId = `run-${randomUUID()}`;
  return {
    runId,
    workflow: `checkout-${randomUUID()}`,
    version: "1",
    status: "running",
    createdAt: T0,
    updatedAt: T0,
    correlationId: runId,
    ...overrides,
  };
}

function started(run: RunHeader): SagaEvent {
  return {
    type: "run_started",
    at: run.createdAt,
    runId: run.runId,
    workflow: run.workflow,
    version: run.version,
    input: { orderId: "ord-1" },
    correlationId: run.correlationId,
    deadlineAt: run.createdAt + 3_600_000,
  };
}

function succeeded(stepId: string): SagaEvent {
  return {
    type: "step_succeeded",
    at: T0 + 1_000,
    stepId,
    attempt: 1,
    startedAt: T0 + 500,
    output: { id: `${stepId}-1` },
  };
}

function failed(stepId: string): SagaEvent {
  return {
    type: "run_failed",
    at: T0 + 2_000,
    stepId,
    error: { code: "failed_precondition", message: "declined", retryable: false },
  };
}

function finished(): SagaEvent {
  return { type: "run_finished", at: T0 + 3_000, status: "succeeded" };
}
