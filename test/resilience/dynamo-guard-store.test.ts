import { type DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { createDynamoGuardStore, createSagaTable } from "../../src/adapters/dynamodb/index.js";
import { MaestroError } from "../../src/errors.js";
import { runGuardStoreContract } from "../contracts/guard-store-contract.js";
import { dynamodbEndpoint, localDynamoClient, uniqueName } from "../emulators/endpoints.js";

const endpoint = dynamodbEndpoint();

describe.skipIf(endpoint === undefined)("DynamoDB guard store (DynamoDB Local)", () => {
  const client = () => localDynamoClient(endpoint ?? "");
  let tableName: string;

  beforeAll(async () => {
    tableName = uniqueName("guard");
    await createSagaTable(client(), tableName);
  });

  runGuardStoreContract("dynamodb", async () =>
    createDynamoGuardStore({ client: client(), tableName }),
  );

  it("keeps a service's three items in one partition, beside the runs", async () => {
    const store = createDynamoGuardStore({ client: client(), tableName });
    const service = uniqueName("payments");
    await store.writeBreaker(service, { status: "closed" }, 0);
    await store.takeToken(service, { now: 1_000, intervalMs: 100, toleranceMs: 0 });
    await store.acquireLease(service, { now: 1_000, max: 1, id: "l1", until: 9_000 });
    const item = async (sk: string) =>
      (
        await client().send(
          new GetItemCommand({
            TableName: tableName,
            Key: { pk: { S: `SVC#${service}` }, sk: { S: sk } },
          }),
        )
      ).Item;
    expect(await item("BREAKER")).toMatchObject({
      version: { N: "1" },
      state: { S: '{"status":"closed"}' },
    });
    expect(await item("BUCKET")).toMatchObject({ tat: { N: "1100" } });
    expect(await item("INFLIGHT")).toMatchObject({ leases: { M: { l1: { N: "9000" } } } });
  });

  it("treats its own write, met again by an SDK retry, as a success", async () => {
    const inner = client();
    // The first attempt lands but its response is lost: the SDK sends the same request again.
    retryOnceAfterSuccess(inner);
    const store = createDynamoGuardStore({ client: inner, tableName });
    const service = uniqueName("retried");
    expect(await store.writeBreaker(service, { n: 1 }, 0)).toEqual({ ok: true, version: 1 });
    expect(await store.writeBreaker(service, { n: 2 }, 1)).toEqual({ ok: true, version: 2 });
    expect(await store.readBreaker(service)).toEqual({ version: 2, state: { n: 2 } });
  });

  it("hands an unreadable state on as empty, at its version, so the next write replaces it", async () => {
    const service = uniqueName("garbled");
    await client().send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: `SVC#${service}` },
          sk: { S: "BREAKER" },
          version: { N: "4" },
          state: { S: "{not json" },
        },
      }),
    );
    const store = createDynamoGuardStore({ client: client(), tableName });
    expect(await store.readBreaker(service)).toEqual({ version: 4, state: {} });
    expect(await store.writeBreaker(service, { n: 1 }, 4)).toEqual({
      ok: true,
      version: 5,
    });
  });

  it("turns SDK failures into Maestro errors that say whether to retry", async () => {
    const store = createDynamoGuardStore({ client: client(), tableName: uniqueName("missing") });
    const failures = await Promise.all([
      store.readBreaker("x").catch((e: unknown) => e),
      store.writeBreaker("x", {}, 0).catch((e: unknown) => e),
      store.takeToken("x", { now: 0, intervalMs: 1, toleranceMs: 0 }).catch((e: unknown) => e),
      store.acquireLease("x", { now: 0, max: 1, id: "a", until: 1 }).catch((e: unknown) => e),
      store.joinLine("x", "bucket", { from: 0, spacingMs: 1 }).catch((e: unknown) => e),
    ]);
    for (const error of failures) {
      expect(error).toBeInstanceOf(MaestroError);
      expect(error).toMatchObject({ code: "failed_precondition", retryable: false });
    }
  });
});

/** Sends every PutItem twice, the way an SDK retry after a lost response would. */
function retryOnceAfterSuccess(client: DynamoDBClient): void {
  (client.middlewareStack as { add: (mw: unknown, opts: unknown) => void }).add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: unknown) => {
        if (context.commandName !== "PutItemCommand") return next(args);
        await next(args);
        return next(args);
      },
    { step: "build", name: "retryOnceAfterSuccess" },
  );
}
