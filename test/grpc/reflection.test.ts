import { execFile } from "node:child_process";
import { once } from "node:events";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Code, ConnectError, type ConnectRouter, createClient } from "@connectrpc/connect";
import {
  connectNodeAdapter,
  createGrpcTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningAuthService, startAuthService } from "../../examples/services/auth/server.js";
import {
  type RunningBillingService,
  startBillingService,
} from "../../examples/services/billing/server.js";
import { createConnectCaller } from "../../src/callers/connect-caller.js";
import { loadDescriptorSet } from "../../src/callers/grpc/descriptors.js";
import { resolveMethod } from "../../src/callers/grpc/method-resolution.js";
import { fetchDescriptorsByReflection } from "../../src/callers/grpc/reflection-client.js";
import { registerReflection } from "../../src/callers/grpc/reflection-service.js";
import { AuthService } from "../../src/gen/examples/auth/v1/auth_pb.js";
import { ServerReflection } from "../../src/gen/grpc/reflection/v1/reflection_pb.js";
import { callRequest, serviceDef, tempDir } from "./helpers.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const buf = `${root}node_modules/.bin/buf`;

/** A bare Connect server with only the routes given: no kit, so no reflection unless asked. */
async function startBare(routes: (router: ConnectRouter) => void) {
  const server = http2.createServer(connectNodeAdapter({ routes }));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s: http2.ServerHttp2Session) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: async () => {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const auth = { deleteUser: () => ({ deleted: true }) };

let billing: RunningBillingService;
let authService: RunningAuthService;
let alphaOnly: Awaited<ReturnType<typeof startBare>>;
let none: Awaited<ReturnType<typeof startBare>>;
const sessions: Http2SessionManager[] = [];

function grpcTransport(url: string) {
  const sessionManager = new Http2SessionManager(url);
  sessions.push(sessionManager);
  return createGrpcTransport({ baseUrl: url, sessionManager });
}

beforeAll(async () => {
  [billing, authService, alphaOnly, none] = await Promise.all([
    startBillingService(),
    startAuthService(),
    startBare((router) => {
      router.service(AuthService, auth);
      registerReflection(router, [AuthService], { versions: ["v1alpha"] });
    }),
    startBare((router) => router.service(AuthService, auth)),
  ]);
});

afterAll(async () => {
  for (const session of sessions) session.abort();
  await Promise.all([billing.close(), authService.close(), alphaOnly.close(), none.close()]);
});

describe("reflection client", () => {
  it("fetches every service with its imports, well-known types included", async () => {
    const registry = await fetchDescriptorsByReflection(grpcTransport(billing.url));
    expect(
      registry.getService("examples.billing.v1.BillingService")?.methods.map((m) => m.name),
    ).toEqual(["CreateSubscription", "CancelSubscription"]);
    expect(registry.getService("grpc.health.v1.Health")).toBeDefined();
    expect(registry.getMessage("google.protobuf.Timestamp")).toBeDefined();
    expect(registry.getFile("google/protobuf/timestamp.proto")).toBeDefined();
  });

  it("falls back to v1alpha", async () => {
    const registry = await fetchDescriptorsByReflection(grpcTransport(alphaOnly.url));
    expect(resolveMethod(registry, "DeleteUser").ok).toBe(true);
    const caller = createConnectCaller();
    try {
      const result = await caller.call(callRequest(serviceDef(alphaOnly.url), "DeleteUser", {}));
      expect(result).toEqual({ ok: true, output: { deleted: true } });
    } finally {
      await caller.close();
    }
  });

  it("says a server without reflection needs a descriptors file", async () => {
    const error = await fetchDescriptorsByReflection(grpcTransport(none.url)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.Unimplemented);
    const caller = createConnectCaller();
    try {
      const result = await caller.call(
        callRequest(serviceDef(none.url, { type: "connect" }), "DeleteUser", {}),
      );
      expect(result).toMatchObject({
        ok: false,
        error: {
          code: "unimplemented",
          retryable: false,
          message: expect.stringContaining("descriptors file"),
        },
      });
    } finally {
      await caller.close();
    }
  });
});

describe("reflection service", () => {
  it("answers each request kind, errors in-band", async () => {
    const client = createClient(ServerReflection, grpcTransport(authService.url));
    const requests = [
      { messageRequest: { case: "fileByFilename" as const, value: "examples/auth/v1/auth.proto" } },
      {
        messageRequest: {
          case: "fileContainingSymbol" as const,
          value: "examples.auth.v1.CreateUserRequest.email",
        },
      },
      {
        messageRequest: {
          case: "fileContainingSymbol" as const,
          value: "examples.auth.v1.AuthService.DeleteUser",
        },
      },
      { messageRequest: { case: "fileByFilename" as const, value: "nope.proto" } },
      {
        messageRequest: {
          case: "allExtensionNumbersOfType" as const,
          value: "examples.auth.v1.CreateUserRequest",
        },
      },
      {
        host: "h",
        messageRequest: {
          case: "fileContainingExtension" as const,
          value: { containingType: "x.Y", extensionNumber: 9 },
        },
      },
    ];
    async function* send() {
      yield* requests;
    }
    const answers = [];
    for await (const reply of client.serverReflectionInfo(send())) answers.push(reply);
    expect(answers.map((a) => a.messageResponse.case)).toEqual([
      "fileDescriptorResponse",
      "fileDescriptorResponse",
      "fileDescriptorResponse",
      "errorResponse",
      "allExtensionNumbersResponse",
      "errorResponse",
    ]);
    expect(answers[3]?.messageResponse.value).toMatchObject({ errorCode: Code.NotFound });
    expect(answers[5]?.validHost).toBe("h");
    expect(answers[5]?.originalRequest?.messageRequest.case).toBe("fileContainingExtension");
  });
});

describe("interop with buf", () => {
  it("buf curl calls the auth service through its reflection", async () => {
    const { stdout } = await run(buf, [
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      `${authService.url}/examples.auth.v1.AuthService/CreateUser`,
      "-d",
      '{"email":"curl@example.com","password":"12345678","name":"Curl"}',
    ]);
    expect(JSON.parse(stdout)).toEqual({
      id: expect.stringMatching(/^usr_/),
      email: "curl@example.com",
    });
    expect(authService.users.size).toBe(1);
  });

  it("buf curl uses v1alpha reflection too", async () => {
    const { stdout } = await run(buf, [
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "--reflect-protocol",
      "grpc-v1alpha",
      `${alphaOnly.url}/examples.auth.v1.AuthService/DeleteUser`,
      "-d",
      "{}",
    ]);
    expect(JSON.parse(stdout)).toEqual({ deleted: true });
  });

  it("calls with a descriptor set written by buf build", async () => {
    const dir = tempDir();
    const caller = createConnectCaller();
    try {
      const path = `${dir.path}/services.binpb`;
      await run(buf, ["build", "proto", "-o", path], { cwd: root });
      const registry = await loadDescriptorSet(path);
      expect(resolveMethod(registry, "SendTemplate").ok).toBe(true);
      const result = await caller.call(
        callRequest(
          serviceDef(billing.url, { descriptors: path, type: "grpc-web" }),
          "CreateSubscription",
          {
            user_id: "usr_9",
            plan: "team",
          },
        ),
      );
      expect(result).toMatchObject({ ok: true, output: { tier: "TIER_TEAM", plan_name: "Team" } });
    } finally {
      await caller.close();
      dir.remove();
    }
  });
});
