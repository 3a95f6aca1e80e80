import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAuthService } from "../../examples/services/auth/server.js";
import { parseCode, parseFaults } from "../../examples/services/grpc-kit.js";
import { createConnectCaller } from "../../src/callers/connect-caller.js";
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
} from "../../src/gen/grpc/health/v1/health_pb.js";
import type { CallResult } from "../../src/ports/service-caller.js";
import { callRequest, type ExampleServices, serviceDef, startExampleServices } from "./helpers.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const caller = createConnectCaller();
let services: ExampleServices;

beforeAll(async () => {
  services = await startExampleServices();
});

afterAll(async () => {
  await caller.close();
  await services.close();
});

const outcome = (r: CallResult) => (r.ok ? "ok" : `${r.error.code}${r.error.retryable ? "" : "!"}`);

describe("example services", () => {
  it("run the onboarding steps and their compensations", async () => {
    const auth = serviceDef(services.auth.url, { type: "connect" });
    const billing = serviceDef(services.billing.url, { type: "grpc-web" });
    const user = await caller.call(
      callRequest(auth, "CreateUser", { email: "flow@example.com", password: "12345678" }),
    );
    if (!user.ok) throw new Error(user.error.message);
    const { id } = user.output as { id: string };
    const again = await caller.call(
      callRequest(auth, "CreateUser", { email: "flow@example.com", password: "12345678" }),
    );
    expect(outcome(again)).toBe("already_exists!");
    expect(
      outcome(await caller.call(callRequest(auth, "ActivateUser", { user_id: "usr_none" }))),
    ).toBe("not_found!");
    expect(await caller.call(callRequest(auth, "ActivateUser", { user_id: id }))).toEqual({
      ok: true,
      output: { user_id: id, active: true },
    });
    const sub = await caller.call(
      callRequest(billing, "CreateSubscription", { user_id: id, plan: "free" }),
    );
    const subscriptionId = (sub.ok && (sub.output as { id: string }).id) || "";
    const cancel = (key: string) =>
      caller.call(
        callRequest(
          billing,
          "CancelSubscription",
          { subscription_id: subscriptionId },
          { idempotencyKey: key },
        ),
      );
    expect(await cancel("k1")).toEqual({ ok: true, output: { cancelled: true } });
    expect(await cancel("k2")).toEqual({ ok: true, output: { cancelled: false } });
    expect(await caller.call(callRequest(auth, "DeleteUser", { user_id: id }))).toEqual({
      ok: true,
      output: { deleted: true },
    });
    const email = serviceDef(services.email.url);
    expect(
      outcome(
        await caller.call(callRequest(email, "SendTemplate", { to: "a@b.c", template: "nope" })),
      ),
    ).toBe("invalid_argument!");
  });

  it("runs a handler once for concurrent calls with the same key", async () => {
    const auth = serviceDef(services.auth.url);
    const request = callRequest(
      auth,
      "CreateUser",
      { email: "concurrent@example.com", password: "12345678" },
      {
        headers: { "x-delay-ms": "50" },
      },
    );
    const results = await Promise.all([
      caller.call(request),
      caller.call({ ...request, attempt: 2 }),
    ]);
    expect(results[0]).toEqual(results[1]);
    const mine = services.auth.calls.filter((c) => c.idempotencyKey === request.idempotencyKey);
    expect(mine.map((c) => c.outcome).sort()).toEqual(["ok", "replayed"]);
  });

  it("fails with the code x-fault names, and refuses an unknown one", async () => {
    const email = serviceDef(services.email.url, { type: "grpc-web" });
    const send = (fault: string) =>
      caller.call(
        callRequest(
          email,
          "SendTemplate",
          { to: "a@b.c", template: "welcome" },
          { headers: { "x-fault": fault } },
        ),
      );
    expect(outcome(await send("resource_exhausted"))).toBe("resource_exhausted");
    expect(outcome(await send("PermissionDenied"))).toBe("permission_denied!");
    expect(outcome(await send("teapot"))).toBe("invalid_argument!");
    expect(services.email.effects()).toHaveLength(0);
  });

  it("applies configured faults per method, and * to all", async () => {
    const faulty = await startAuthService({
      faults: { CreateUser: { fault: "aborted", times: 1 }, "*": { delayMs: 30 } },
    });
    const local = createConnectCaller();
    try {
      const auth = serviceDef(faulty.url);
      const request = callRequest(auth, "CreateUser", {
        email: "f@example.com",
        password: "12345678",
      });
      expect(outcome(await local.call(request))).toBe("aborted");
      expect(outcome(await local.call({ ...request, attempt: 2 }))).toBe("ok");
      const started = Date.now();
      expect(outcome(await local.call(callRequest(auth, "DeleteUser", {})))).toBe("ok");
      expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    } finally {
      await local.close();
      await faulty.close();
    }
  });

  it("lists and watches health", async () => {
    const sessionManager = new Http2SessionManager(services.billing.url);
    try {
      const health = createClient(
        Health,
        createGrpcTransport({ baseUrl: services.billing.url, sessionManager }),
      );
      const list = await health.list({});
      expect(Object.keys(list.statuses).sort()).toEqual(["", "examples.billing.v1.BillingService"]);
      const controller = new AbortController();
      const seen: Status[] = [];
      for await (const reply of health.watch({ service: "" }, { signal: controller.signal })) {
        seen.push(reply.status);
        if (seen.length === 1) services.billing.setServing(false);
        if (seen.length === 2) break;
      }
      controller.abort();
      services.billing.setServing(true);
      expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING]);
    } finally {
      sessionManager.abort();
    }
  });
});

describe("fault settings", () => {
  it("parses FAULTS and says what is wrong with it", () => {
    expect(
      parseFaults('{"CreateUser":{"fault":"unavailable","times":2},"*":{"delayMs":5}}'),
    ).toEqual({
      CreateUser: { fault: "unavailable", times: 2 },
      "*": { delayMs: 5 },
    });
    expect(() => parseFaults("[]")).toThrow("FAULTS must be an object");
    expect(() => parseFaults('{"X":{"times":-1}}')).toThrow(
      "FAULTS.X.times must be a whole number",
    );
    expect(() => parseFaults('{"X":{"fault":"nope"}}')).toThrow('unknown code "nope"');
    expect(parseCode("14")).toBe(parseCode("unavailable"));
  });

  it("runs alone with FAULTS from the environment", async () => {
    const child = spawn(`${root}node_modules/.bin/tsx`, ["examples/services/email/server.ts"], {
      cwd: root,
      env: {
        ...process.env,
        PORT: "0",
        FAULTS: '{"SendTemplate":{"fault":"unavailable","times":1}}',
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const local = createConnectCaller();
    try {
      const [line] = (await once(child.stdout, "data")) as [Buffer];
      const url = /https?:\/\/[\d.]+:\d+/.exec(line.toString())?.[0] ?? "";
      const email = serviceDef(url);
      const request = callRequest(email, "SendTemplate", { to: "a@b.c", template: "goodbye" });
      expect(outcome(await local.call(request))).toBe("unavailable");
      expect(outcome(await local.call({ ...request, attempt: 2 }))).toBe("ok");
    } finally {
      await local.close();
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  });
});
