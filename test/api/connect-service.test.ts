/**
 * The Connect RunService over real HTTP/1.1 through the Hono app, with a generated client
 * and with `buf curl`: every RPC's success and error paths.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProblemSchema, RunService } from "../../src/gen/maestro/v1/runs_pb.js";
import { silentLogger } from "../../src/ports/logger.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { memoryStore } from "../../src/server/stores.js";
import { createFakeServices } from "../helpers/fake-services.js";
import { workflowFrom } from "../helpers/workflows.js";

const run = promisify(execFile);
const services = createFakeServices();
let server: RunningServer;
let client: ReturnType<typeof createClient<typeof RunService>>;

const workflows = [
  `name: greet
version: "1.0.0"
input_schema: { type: object, properties: { name: { type: string } } }
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - { id: hello, service: svc, method: POST /hello, output: hello }
output: { said: "{{ .hello.echo.name }}" }`,
  `name: booking
version: "1.0.0"
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - id: book
    service: svc
    method: POST /book
    output: booking
    compensate: { method: "DELETE /book/{{ .booking.id }}", retry: { max_attempts: 2, initial_interval: 10ms } }
  - { id: confirm, service: svc, method: POST /confirm }`,
  `name: refund
version: "1.0.0"
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - id: approve
    wait_for: { signal: approval, timeout: 1m }
    output: approval
  - { id: pay, service: svc, method: POST /payouts, input: { by: "{{ .approval.by }}" } }`,
].map(workflowFrom);

// POST /confirm waits until a test lets it answer, then succeeds or fails as told.
let confirm: { release: () => void; outcome: "ok" | "fail" } | undefined;
let undoWorks = false;
services.on("POST /book", () => ({ ok: true, output: { id: "b1" } }));
services.on("POST /confirm", async () => {
  const gate = confirm;
  if (gate) await new Promise<void>((r) => (gate.release = r));
  return gate?.outcome === "fail"
    ? { ok: false, error: { code: "invalid_argument", message: "no", retryable: false } }
    : { ok: true, output: {} };
});
services.on("DELETE /book/b1", () =>
  undoWorks
    ? { ok: true, output: {} }
    : { ok: false, error: { code: "unavailable", message: "down", retryable: true } },
);

beforeAll(async () => {
  server = await startServer({
    port: 0,
    store: memoryStore(),
    caller: services,
    logger: silentLogger,
    workflows,
    sweepEveryMs: 50,
  });
  client = createClient(
    RunService,
    createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
  );
});
afterAll(() => server.close());

/** The Connect code, message and Problem detail a call failed with. */
async function failure(call: Promise<unknown> | (() => Promise<unknown>)) {
  try {
    await (typeof call === "function" ? call() : call);
  } catch (error) {
    const e = ConnectError.from(error);
    const problem = e.findDetails(ProblemSchema)[0];
    return {
      code: Code[e.code],
      message: e.rawMessage,
      problem: problem?.code,
      field: problem?.field,
    };
  }
  throw new Error("the call succeeded");
}

async function until(check: () => Promise<boolean>) {
  for (let i = 0; i < 500 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
}

describe("Connect RunService: StartRun and GetRun", () => {
  it("starts and reads runs idempotently, refusing a key reused for another request", async () => {
    const first = await client.startRun({
      workflow: "greet",
      input: { name: "Ada" },
      idempotencyKey: "k1",
    });
    const again = await client.startRun({
      workflow: "greet",
      input: { name: "Ada" },
      idempotencyKey: "k1",
    });
    expect([first.created, again.created]).toEqual([true, false]);
    expect(again.run?.id).toBe(first.run?.id);
    expect(
      await failure(
        client.startRun({ workflow: "greet", input: { name: "Bob" }, idempotencyKey: "k1" }),
      ),
    ).toMatchObject({ code: "FailedPrecondition", problem: "idempotency_key_reused" });
    await server.runtime.waitForRun(first.run?.id ?? "");
    const read = await client.getRun({ runId: first.run?.id ?? "" });
    expect(read.run).toMatchObject({ status: "succeeded", workflow: "greet", version: "1.0.0" });
    expect(read.run?.createdAt?.seconds).toBeGreaterThan(0n);
    expect(await failure(client.getRun({ runId: "nope" }))).toEqual({
      code: "NotFound",
      message: "run nope not found",
      problem: "not_found",
      field: "",
    });
  });

  it("says which field is wrong", async () => {
    expect(await failure(client.startRun({ workflow: "" }))).toMatchObject({
      code: "InvalidArgument",
      field: "workflow",
    });
    expect(await failure(client.startRun({ workflow: "ghost" }))).toMatchObject({
      code: "NotFound",
      problem: "workflow_not_found",
      field: "workflow",
    });
    expect(await failure(client.startRun({ workflow: "greet", input: { name: 7 } }))).toMatchObject(
      {
        code: "InvalidArgument",
        field: "input.name",
      },
    );
  });
});

describe("Connect RunService: ListRuns", () => {
  it("filters by workflow and status and pages with the cursor", async () => {
    const ids: string[] = [];
    for (const name of ["a", "b", "c"]) {
      const { run } = await client.startRun({ workflow: "greet", input: { name } });
      ids.push(run?.id ?? "");
    }
    for (const id of ids) await server.runtime.waitForRun(id);
    const seen: string[] = [];
    let cursor = "";
    do {
      const page = await client.listRuns({
        workflow: "greet",
        status: "succeeded",
        limit: 2,
        cursor,
      });
      expect(page.runs.length).toBeLessThanOrEqual(2);
      for (const r of page.runs) {
        expect(r).toMatchObject({ workflow: "greet", status: "succeeded" });
        seen.push(r.id);
      }
      cursor = page.nextCursor;
    } while (cursor !== "");
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect((await client.listRuns({ workflow: "refund" })).runs).toEqual([]);
  });

  it("refuses a bad status or limit, naming it", async () => {
    expect(await failure(client.listRuns({ status: "sleepy" }))).toMatchObject({
      code: "InvalidArgument",
      field: "status",
    });
    expect(await failure(client.listRuns({ limit: 5000 }))).toMatchObject({
      code: "InvalidArgument",
      field: "limit",
    });
  });
});

describe("Connect RunService: CancelRun and RedriveRun", () => {
  it("cancels a running run with a reason, then refuses to cancel or redrive it", async () => {
    undoWorks = true;
    confirm = { release: () => {}, outcome: "ok" };
    const { run } = await client.startRun({ workflow: "booking" });
    const runId = run?.id ?? "";
    await until(async () =>
      services.callsTo("POST /confirm").some((c) => c.idempotencyKey.startsWith(`${runId}/`)),
    );
    // The same refusal the HTTP route answers: 409 not_redrivable, a running run.
    expect(await failure(client.redriveRun({ runId }))).toMatchObject({
      code: "FailedPrecondition",
      problem: "not_redrivable",
    });
    const cancelled = await client.cancelRun({ runId, reason: "customer changed their mind" });
    expect(cancelled.run?.status).toBe("compensating");
    confirm.release();
    confirm = undefined;
    expect((await server.runtime.waitForRun(runId)).status).toBe("cancelled");
    const events = [];
    for await (const { event } of client.streamRunEvents({ runId })) events.push(event);
    expect(events.find((e) => e?.type === "run_cancel_requested")?.data).toMatchObject({
      reason: "customer changed their mind",
    });
    expect(await failure(client.cancelRun({ runId }))).toMatchObject({
      code: "FailedPrecondition",
      message: `run ${runId} already ended cancelled`,
    });
    expect(await failure(client.cancelRun({ runId: "nope" }))).toMatchObject({ code: "NotFound" });
  });

  it("redrives a parked run until its undo succeeds", async () => {
    undoWorks = false;
    confirm = { release: () => {}, outcome: "fail" };
    const gate = confirm;
    const { run } = await client.startRun({ workflow: "booking" });
    const runId = run?.id ?? "";
    await until(async () =>
      services.callsTo("POST /confirm").some((c) => c.idempotencyKey.startsWith(`${runId}/`)),
    );
    gate.release();
    confirm = undefined;
    expect((await server.runtime.waitForRun(runId)).status).toBe("compensation_failed");
    undoWorks = true;
    const redriven = await client.redriveRun({ runId });
    expect(redriven.run?.status).toBe("compensating");
    expect((await server.runtime.waitForRun(runId)).status).toBe("compensated");
    expect(await failure(client.redriveRun({ runId: "nope" }))).toMatchObject({ code: "NotFound" });
  });
});

describe("Connect RunService: SignalRun", () => {
  it("resumes the waiting step with the payload; refuses unknown signals and ended runs", async () => {
    const { run } = await client.startRun({ workflow: "refund" });
    const runId = run?.id ?? "";
    expect(await failure(client.signalRun({ runId, name: "nope" }))).toMatchObject({
      code: "NotFound",
      message: 'no step of refund waits for signal "nope"',
    });
    await client.signalRun({
      runId,
      name: "approval",
      payload: fromJson(ValueSchema, { by: "ops" }),
    });
    expect((await server.runtime.waitForRun(runId)).status).toBe("succeeded");
    expect(
      services.callsTo("POST /payouts").find((c) => c.idempotencyKey.startsWith(`${runId}/`))
        ?.input,
    ).toEqual({
      by: "ops",
    });
    expect(await failure(client.signalRun({ runId, name: "approval" }))).toMatchObject({
      code: "FailedPrecondition",
      problem: "conflict",
    });
  });
});

describe("Connect RunService: StreamRunEvents", () => {
  it("streams the whole log until the run ends, and resumes after a sequence number", async () => {
    const { run } = await client.startRun({ workflow: "greet", input: { name: "Lin" } });
    const runId = run?.id ?? "";
    const all = [];
    for await (const { event } of client.streamRunEvents({ runId })) all.push(event);
    expect(all.map((e) => e?.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all[0]?.type).toBe("run_started");
    expect(all.at(-1)).toMatchObject({ type: "run_finished", data: { status: "succeeded" } });
    const tail = [];
    for await (const { event } of client.streamRunEvents({ runId, afterSeq: 2 }))
      tail.push(event?.seq);
    expect(tail).toEqual(all.slice(2).map((e) => e?.seq));
    expect(
      await failure(async () => {
        for await (const _ of client.streamRunEvents({ runId: "nope" })) break;
      }),
    ).toMatchObject({ code: "NotFound" });
  });
});

describe("buf curl", () => {
  it("answers buf curl over Connect, a client nobody here wrote", async () => {
    const { stdout } = await run("npx", [
      "buf",
      "curl",
      "--schema",
      "proto",
      "--protocol",
      "connect",
      "--data",
      '{"workflow":"greet","input":{"name":"Grace"}}',
      `${server.url}/maestro.v1.RunService/StartRun`,
    ]);
    const reply = JSON.parse(stdout) as { run: { id: string; status: string; workflow: string } };
    expect(reply.run).toMatchObject({ workflow: "greet", version: "1.0.0" });
  });
});
