/**
 * Native gRPC (h2c, prior knowledge) and the HTTP/1.1 API on the one `maestro serve` port,
 * with JWT auth applied to gRPC calls exactly as to HTTP routes. Keys are generated here.
 */
import { execFile } from "node:child_process";
import { connect } from "node:http2";
import { promisify } from "node:util";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuth } from "../../src/api/auth.js";
import { ProblemSchema, RunService } from "../../src/gen/maestro/v1/runs_pb.js";
import { silentLogger } from "../../src/ports/logger.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { memoryStore } from "../../src/server/stores.js";
import { createFakeServices } from "../helpers/fake-services.js";
import { workflowFrom } from "../helpers/workflows.js";

const run = promisify(execFile);
const ISSUER = "https://login.example.test/";
const AUDIENCE = "maestro-api";
const workflow = (name: string) =>
  workflowFrom(
    `name: ${name}\nversion: "1.0.0"\nservices: { s: { type: http, endpoint: "http://s" } }\nsteps:\n  - { id: a, service: s, method: POST /a }\n`,
  );

let keys: Awaited<ReturnType<typeof generateKeyPair>>;
let server: RunningServer;
const token = (claims: Record<string, unknown>, key = keys.privateKey) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(key);

/** A native gRPC client sending `bearer` in the authorization metadata. */
const grpcClient = (url: string, bearer?: string) =>
  createClient(
    RunService,
    createGrpcTransport({
      baseUrl: url,
      interceptors: [
        (next) => (req) => {
          if (bearer !== undefined) req.header.set("authorization", `Bearer ${bearer}`);
          return next(req);
        },
      ],
    }),
  );

async function failure(call: Promise<unknown>) {
  try {
    await call;
  } catch (error) {
    const e = ConnectError.from(error);
    return {
      code: Code[e.code],
      message: e.rawMessage,
      problem: e.findDetails(ProblemSchema)[0]?.code,
    };
  }
  throw new Error("the call succeeded");
}

beforeAll(async () => {
  keys = await generateKeyPair("ES256");
  server = await startServer({
    port: 0,
    store: memoryStore(),
    caller: createFakeServices(),
    logger: silentLogger,
    workflows: [workflow("order_refund"), workflow("user_delete")],
    auth: createAuth({
      issuer: ISSUER,
      audience: AUDIENCE,
      key: keys.publicKey,
      policy: [
        { actions: ["*"], scopes: ["maestro:admin"] },
        { actions: ["runs:read"], scopes: ["maestro:runs:read"] },
        {
          actions: ["runs:start", "runs:read", "runs:cancel"],
          workflows: "order_*",
          roles: ["orders"],
        },
      ],
    }),
  });
});
afterAll(() => server.close());

describe("native gRPC on the serve port", () => {
  it("serves RunService over gRPC while HTTP/1.1 requests to /v1 work on the same port", async () => {
    const admin = await token({ scope: "maestro:admin" });
    const client = grpcClient(server.url, admin);
    const { run: started } = await client.startRun({
      workflow: "order_refund",
      idempotencyKey: "g1",
    });
    const runId = started?.id ?? "";
    await server.runtime.waitForRun(runId);
    expect((await client.getRun({ runId })).run?.status).toBe("succeeded");
    const types: string[] = [];
    for await (const { event } of client.streamRunEvents({ runId })) types.push(event?.type ?? "");
    expect(types.at(-1)).toBe("run_finished");

    const res = await fetch(`${server.url}/v1/runs/${runId}`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe("succeeded");
    expect((await fetch(`${server.url}/v1/runs`)).status).toBe(401);
  });

  it("sends HTTP/2 requests outside RunService to the JSON API", async () => {
    const session = connect(server.url);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const req = session.request({ ":path": "/healthz" });
        let text = "";
        req.setEncoding("utf8");
        req.on("data", (d: string) => {
          text += d;
        });
        req.on("end", () => resolve(text));
        req.on("error", reject);
      });
      expect(JSON.parse(body)).toEqual({ ok: true });
    } finally {
      session.close();
    }
  });

  it("answers 401 as unauthenticated and 403 as permission_denied, per workflow", async () => {
    expect(await failure(grpcClient(server.url).listRuns({}))).toMatchObject({
      code: "Unauthenticated",
      problem: "unauthenticated",
    });
    const forged = await token(
      { scope: "maestro:admin" },
      (await generateKeyPair("ES256")).privateKey,
    );
    expect(await failure(grpcClient(server.url, forged).listRuns({}))).toMatchObject({
      code: "Unauthenticated",
      problem: "invalid_token",
    });
    const reader = grpcClient(server.url, await token({ scope: "maestro:runs:read" }));
    expect(await failure(reader.startRun({ workflow: "order_refund" }))).toEqual({
      code: "PermissionDenied",
      message: 'the token may not runs:start on workflow "order_refund"',
      problem: "forbidden",
    });
    const team = grpcClient(server.url, await token({ roles: ["orders"] }));
    const { run } = await team.startRun({ workflow: "order_refund" });
    expect(run?.workflow).toBe("order_refund");
    expect(await failure(team.startRun({ workflow: "user_delete" }))).toMatchObject({
      code: "PermissionDenied",
    });
    const admin = grpcClient(server.url, await token({ scope: "maestro:admin" }));
    const other = await admin.startRun({ workflow: "user_delete" });
    // Cancelling is authorized on the run's workflow, which only the stored run names.
    expect(await failure(team.cancelRun({ runId: other.run?.id ?? "" }))).toMatchObject({
      code: "PermissionDenied",
    });
    expect(await failure(team.listRuns({}))).toMatchObject({ code: "PermissionDenied" });
    expect((await team.listRuns({ workflow: "order_refund" })).runs.length).toBeGreaterThan(0);
  });

  it("refuses a message over the size limit", async () => {
    const admin = grpcClient(server.url, await token({ scope: "maestro:admin" }));
    const input = { blob: "x".repeat(300 * 1024) };
    expect(await failure(admin.startRun({ workflow: "order_refund", input }))).toMatchObject({
      code: "ResourceExhausted",
    });
  });

  it("answers buf curl over native gRPC with HTTP/2 prior knowledge", async () => {
    const { stdout } = await run("npx", [
      "buf",
      "curl",
      "--schema",
      "proto",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "-H",
      `Authorization: Bearer ${await token({ scope: "maestro:admin" })}`,
      "--data",
      '{"workflow":"order_refund"}',
      `${server.url}/maestro.v1.RunService/StartRun`,
    ]);
    const reply = JSON.parse(stdout) as { run: { workflow: string; version: string } };
    expect(reply.run).toMatchObject({ workflow: "order_refund", version: "1.0.0" });
  });

  it("closes while a gRPC client holds a session with a stream open", async () => {
    const waiting = workflowFrom(
      `name: waits\nversion: "1"\nsteps:\n  - { id: w, wait_for: { signal: go, timeout: 1h } }\n`,
    );
    const own = await startServer({
      port: 0,
      store: memoryStore(),
      caller: createFakeServices(),
      logger: silentLogger,
      workflows: [waiting],
    });
    const client = grpcClient(own.url);
    const { run } = await client.startRun({ workflow: "waits" });
    const stream = (async () => {
      for await (const _ of client.streamRunEvents({ runId: run?.id ?? "" })) {
        // The run never ends: the stream stays open until the server goes.
      }
    })();
    await client.getRun({ runId: run?.id ?? "" });
    await own.close();
    await expect(stream).rejects.toThrow();
  });
});
