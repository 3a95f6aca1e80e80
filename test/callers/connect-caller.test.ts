import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAuthService } from "../../examples/services/auth/server.js";
import { createConnectCaller, validateInput } from "../../src/callers/connect-caller.js";
import { file_examples_auth_v1_auth } from "../../src/gen/examples/auth/v1/auth_pb.js";
import { file_examples_billing_v1_billing } from "../../src/gen/examples/billing/v1/billing_pb.js";
import { file_examples_email_v1_email } from "../../src/gen/examples/email/v1/email_pb.js";
import type { ServiceType } from "../../src/workflow/model.js";
import {
  ambiguousDescriptorSet,
  callRequest,
  type ExampleServices,
  serviceDef,
  startExampleServices,
  tempDir,
  writeDescriptorSet,
} from "../grpc/helpers.js";

const caller = createConnectCaller();
const dir = tempDir();
let services: ExampleServices;
let descriptors: string;

beforeAll(async () => {
  services = await startExampleServices();
  descriptors = writeDescriptorSet(dir.path, "services.binpb", [
    file_examples_auth_v1_auth,
    file_examples_billing_v1_billing,
    file_examples_email_v1_email,
  ]);
});

afterAll(async () => {
  // Clients first: a server's close waits for the sessions clients hold.
  await caller.close();
  await services.close();
  dir.remove();
});

const TYPES: ServiceType[] = ["grpc", "connect", "grpc-web"];
const SOURCES = ["descriptors", "reflection"] as const;

describe.each(TYPES)("over %s", (type) => {
  describe.each(SOURCES)("with descriptors from %s", (source) => {
    const auth = () =>
      serviceDef(services.auth.url, { type, ...(source === "descriptors" && { descriptors }) });

    it("creates a user and sends Maestro's metadata", async () => {
      const email = `${type}-${source}@example.com`;
      const request = callRequest(
        auth(),
        "CreateUser",
        { email, password: "correct horse" },
        {
          headers: { "x-tenant": "acme" },
          attempt: 2,
          trace: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
        },
      );
      const result = await caller.call(request);
      expect(result).toEqual({ ok: true, output: { id: expect.stringMatching(/^usr_/), email } });
      const seen = services.auth.calls.at(-1);
      expect(seen?.protocol).toBe(type);
      expect(seen?.headers).toMatchObject({
        "idempotency-key": request.idempotencyKey,
        "x-maestro-attempt": "2",
        "x-correlation-id": request.correlationId,
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "x-tenant": "acme",
      });
    });

    it("maps Timestamp and enum outputs and error details to JSON", async () => {
      const billing = serviceDef(services.billing.url, {
        type,
        ...(source === "descriptors" && { descriptors }),
      });
      const ok = await caller.call(
        callRequest(billing, "CreateSubscription", { user_id: "usr_1", plan: "pro" }),
      );
      expect(ok).toEqual({
        ok: true,
        output: {
          id: expect.stringMatching(/^sub_/),
          tier: "TIER_PRO",
          plan_name: "Pro",
          started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
        },
      });
      const bad = await caller.call(
        callRequest(billing, "CreateSubscription", { userId: "u", plan: "gold" }),
      );
      expect(bad).toEqual({
        ok: false,
        error: {
          code: "invalid_argument",
          retryable: false,
          message: expect.stringContaining('unknown plan "gold"'),
          details: [
            {
              type: "examples.billing.v1.UnknownPlanDetail",
              value: { plan: "gold", known_plans: ["free", "pro", "team"] },
            },
          ],
        },
      });
    });
  });
});

describe("JSON mapping", () => {
  it("takes bytes as base64, enums by name, Duration and Struct, and returns bytes as base64", async () => {
    const email = serviceDef(services.email.url, { descriptors });
    const content = Buffer.from("attached bytes");
    const result = await caller.call(
      callRequest(email, "examples.email.v1.EmailService/SendTemplate", {
        to: "ada@example.com",
        template: "welcome",
        vars: { name: "Ada", plan: "Pro" },
        attachments: [{ filename: "a.txt", content: content.toString("base64") }],
        priority: "PRIORITY_HIGH",
        send_after: "3600s",
        metadata: { campaign: "spring", tags: ["a", 1, true, null] },
      }),
    );
    if (!result.ok) throw new Error(result.error.message);
    const body = "Hi Ada, you are on the Pro plan.";
    const digest = createHash("sha256").update(body).update(content).digest("base64");
    const output = result.output as Record<string, unknown>;
    expect(output).toMatchObject({
      message_id: expect.stringMatching(/^msg_/),
      digest,
      priority: "PRIORITY_HIGH",
      subject: "Welcome, Ada!",
      metadata: { campaign: "spring", tags: ["a", 1, true, null] },
    });
    const scheduled = Date.parse(String(output.scheduled_at));
    expect(scheduled - Date.now()).toBeGreaterThan(3_500_000);
  });

  it("emits fields at their default values, so an output's shape is stable", async () => {
    const auth = serviceDef(services.auth.url, { descriptors });
    const result = await caller.call(callRequest(auth, "DeleteUser", { user_id: "usr_none" }));
    expect(result).toEqual({ ok: true, output: { deleted: false } });
  });

  it("refuses input that does not fit the message, before calling", async () => {
    const auth = serviceDef(services.auth.url, { descriptors });
    const before = services.auth.calls.length;
    const typo = await caller.call(
      callRequest(auth, "CreateUser", { emial: "a@b.c", password: "x" }),
    );
    expect(typo).toMatchObject({
      ok: false,
      error: {
        code: "invalid_argument",
        retryable: false,
        message: expect.stringContaining('did you mean "email"?'),
      },
    });
    const wrongType = await caller.call(callRequest(auth, "CreateUser", { email: 42 }));
    expect(wrongType).toMatchObject({
      ok: false,
      error: { code: "invalid_argument", retryable: false },
    });
    expect(services.auth.calls.length).toBe(before);
  });
});

describe("method names", () => {
  it.each([
    "CreateUser",
    "AuthService.CreateUser",
    "AuthService/CreateUser",
    "examples.auth.v1.AuthService/CreateUser",
    "/examples.auth.v1.AuthService/CreateUser",
    "examples.auth.v1.AuthService.CreateUser",
  ])("resolves %s", async (method) => {
    const auth = serviceDef(services.auth.url, { descriptors });
    const email = `${Buffer.from(method).toString("hex")}@example.com`;
    const result = await caller.call(callRequest(auth, method, { email, password: "12345678" }));
    expect(result.ok).toBe(true);
  });

  it("names the candidates of an ambiguous method", async () => {
    const dup = tempDir();
    try {
      const path = ambiguousDescriptorSet(dup.path);
      const auth = serviceDef(services.auth.url, { descriptors: path });
      const result = await caller.call(callRequest(auth, "CreateUser", {}));
      expect(result).toMatchObject({
        ok: false,
        error: {
          code: "invalid_argument",
          retryable: false,
          details: {
            candidates: [
              "examples.auth.v1.AuthService/CreateUser",
              "examples.auth.v2.AuthService/CreateUser",
            ],
          },
        },
      });
      const qualified = await caller.call(
        callRequest(auth, "v1.AuthService/CreateUser", {
          email: "q@example.com",
          password: "12345678",
        }),
      );
      expect(qualified.ok).toBe(true);
    } finally {
      dup.remove();
    }
  });

  it.each(SOURCES)(
    "reports an unknown method as unimplemented with a suggestion (%s)",
    async (source) => {
      const auth = serviceDef(services.auth.url, source === "descriptors" ? { descriptors } : {});
      const result = await caller.call(callRequest(auth, "CreateUsr", {}));
      expect(result).toMatchObject({
        ok: false,
        error: {
          code: "unimplemented",
          retryable: false,
          message: expect.stringContaining('did you mean "CreateUser"?'),
          details: { candidates: ["examples.auth.v1.AuthService/CreateUser"] },
        },
      });
    },
  );

  it("reports an unknown service with the services there are", async () => {
    const auth = serviceDef(services.auth.url, { descriptors });
    const result = await caller.call(callRequest(auth, "AuthServic/CreateUser", {}));
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: "unimplemented",
        message: expect.stringContaining('did you mean "AuthService"?'),
      },
    });
  });

  it("does not call streaming methods", async () => {
    const auth = serviceDef(services.auth.url);
    const result = await caller.call(callRequest(auth, "grpc.health.v1.Health/Watch", {}));
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: "unimplemented",
        retryable: false,
        message: expect.stringContaining("server-streaming"),
      },
    });
  });
});

describe("failures", () => {
  it("keeps a service's terminal error terminal", async () => {
    const auth = serviceDef(services.auth.url, { descriptors });
    const result = await caller.call(
      callRequest(auth, "CreateUser", { email: "nope", password: "12345678" }),
    );
    expect(result).toEqual({
      ok: false,
      error: {
        code: "invalid_argument",
        retryable: false,
        message: `examples.auth.v1.AuthService/CreateUser at ${services.auth.url}: "nope" is not an email address`,
      },
    });
  });

  it.each(TYPES)("reports a deadline as retryable deadline_exceeded (%s)", async (type) => {
    const auth = serviceDef(services.auth.url, { descriptors, type, timeoutMs: 150 });
    const started = Date.now();
    const result = await caller.call(
      callRequest(auth, "DeleteUser", { user_id: "x" }, { headers: { "x-delay-ms": "2000" } }),
    );
    expect(result).toMatchObject({
      ok: false,
      error: { code: "deadline_exceeded", retryable: true },
    });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("reports the worker giving up as canceled, not retried", async () => {
    const auth = serviceDef(services.auth.url, { descriptors });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const result = await caller.call(
      callRequest(
        auth,
        "DeleteUser",
        { user_id: "x" },
        { headers: { "x-delay-ms": "2000" }, signal: controller.signal },
      ),
    );
    expect(result).toMatchObject({ ok: false, error: { code: "canceled", retryable: false } });
  });

  it.each(SOURCES)(
    "is unavailable (retryable) while the service is down, then succeeds (%s)",
    async (source) => {
      const probe = await startAuthService();
      const port = probe.port;
      await probe.close();
      const local = createConnectCaller();
      const auth = serviceDef(`127.0.0.1:${port}`, source === "descriptors" ? { descriptors } : {});
      const input = { email: "late@example.com", password: "12345678" };
      try {
        const down = await local.call(callRequest(auth, "CreateUser", input));
        expect(down).toMatchObject({
          ok: false,
          error: { code: "unavailable", retryable: true, details: { code: "ECONNREFUSED" } },
        });
        const up = await startAuthService({ port });
        try {
          const result = await local.call(callRequest(auth, "CreateUser", input));
          expect(result).toMatchObject({ ok: true, output: { email: "late@example.com" } });
        } finally {
          await local.close();
          await up.close();
        }
      } finally {
        await local.close();
      }
    },
  );

  it("retries injected faults: x-fault-times fails N times per key, then succeeds once", async () => {
    const auth = serviceDef(services.auth.url, { descriptors });
    const request = callRequest(
      auth,
      "CreateUser",
      { email: "flaky@example.com", password: "12345678" },
      {
        headers: { "x-fault": "unavailable", "x-fault-times": "2" },
      },
    );
    const outcomes = [];
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      outcomes.push(await caller.call({ ...request, attempt }));
    }
    expect(outcomes.map((o) => (o.ok ? "ok" : `${o.error.code}:${o.error.retryable}`))).toEqual([
      "unavailable:true",
      "unavailable:true",
      "ok",
    ]);
    expect(
      services.auth
        .effects("CreateUser")
        .filter((c) => c.idempotencyKey === request.idempotencyKey),
    ).toHaveLength(1);
  });

  it("refuses protocol headers and bad endpoints as terminal invalid_argument", async () => {
    const auth = serviceDef(services.auth.url, { descriptors });
    const cases = [
      caller.call(
        callRequest(auth, "DeleteUser", {}, { headers: { "content-type": "text/plain" } }),
      ),
      caller.call(callRequest(auth, "DeleteUser", {}, { headers: { "grpc-timeout": "1S" } })),
      caller.call(callRequest(serviceDef([]), "DeleteUser", {})),
      caller.call(callRequest(serviceDef("ftp://host:1"), "DeleteUser", {})),
      caller.call(callRequest(serviceDef("http://127.0.0.1:1", { tls: {} }), "DeleteUser", {})),
      caller.call(
        callRequest(
          serviceDef(services.auth.url, { descriptors: "/nonexistent.binpb" }),
          "DeleteUser",
          {},
        ),
      ),
    ];
    for (const result of await Promise.all(cases)) {
      expect(result).toMatchObject({
        ok: false,
        error: { code: "invalid_argument", retryable: false },
      });
    }
  });
});

describe("idempotency and connections", () => {
  it("performs the effect once when the same idempotency key is sent twice", async () => {
    const auth = serviceDef(services.auth.url, { descriptors });
    const request = callRequest(auth, "CreateUser", {
      email: "twice@example.com",
      password: "12345678",
    });
    const first = await caller.call(request);
    const second = await caller.call({ ...request, attempt: 2 });
    expect(first.ok).toBe(true);
    expect(second).toEqual(first);
    const mine = services.auth.calls.filter((c) => c.idempotencyKey === request.idempotencyKey);
    expect(mine.map((c) => c.outcome)).toEqual(["ok", "replayed"]);
    expect(mine.filter((c) => c.effect)).toHaveLength(1);
  });

  it("keeps one HTTP/2 session per endpoint across calls and protocols, round-robin over endpoints", async () => {
    const [a, b] = await Promise.all([startAuthService(), startAuthService()]);
    const local = createConnectCaller();
    try {
      for (const type of TYPES) {
        const auth = serviceDef([a.url, b.url], { type, descriptors });
        for (let i = 0; i < 4; i += 1) {
          const result = await local.call(callRequest(auth, "DeleteUser", { user_id: "x" }));
          expect(result.ok).toBe(true);
        }
      }
      // Reflection shares the session too.
      const reflected = await local.call(
        callRequest(serviceDef(a.url), "DeleteUser", { user_id: "x" }),
      );
      expect(reflected.ok).toBe(true);
      expect([a.calls.length, b.calls.length]).toEqual([7, 6]);
      expect([a.sessions(), b.sessions()]).toEqual([1, 1]);
    } finally {
      await local.close();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("works again after close(), on a new session", async () => {
    const a = await startAuthService();
    const local = createConnectCaller();
    try {
      const auth = serviceDef(a.url, { descriptors });
      expect((await local.call(callRequest(auth, "DeleteUser", {}))).ok).toBe(true);
      await local.close();
      expect((await local.call(callRequest(auth, "DeleteUser", {}))).ok).toBe(true);
      expect(a.sessions()).toBe(2);
    } finally {
      await local.close();
      await a.close();
    }
  });
});

describe("descriptors for validation", () => {
  it("loads the registry a service's calls use, from its file or by reflection", async () => {
    for (const extra of [{ descriptors }, {}]) {
      const registry = await caller.loadRegistry(serviceDef(services.email.url, extra));
      expect(validateInput(registry, "SendTemplate", ["to", "tmplate"])).toEqual([
        expect.objectContaining({ field: "tmplate", suggestion: "template" }),
      ]);
    }
    const probe = await startAuthService();
    await probe.close();
    await expect(caller.loadRegistry(serviceDef(probe.url))).rejects.toMatchObject({
      code: "unavailable",
      retryable: true,
    });
    await expect(caller.loadRegistry(serviceDef([]))).rejects.toMatchObject({
      code: "invalid_argument",
    });
  });
});

describe("health", () => {
  it("reports each endpoint's serving status", async () => {
    const a = await startAuthService();
    const probe = await startAuthService();
    await probe.close();
    const local = createConnectCaller({ healthTimeoutMs: 1_000 });
    try {
      const auth = serviceDef([a.url, `127.0.0.1:${probe.port}`]);
      const [up, down] = await local.checkHealth(auth);
      expect(up).toEqual({ endpoint: a.url, status: "SERVING", ok: true });
      expect(down).toMatchObject({
        status: "UNREACHABLE",
        ok: false,
        error: { code: "unavailable" },
      });

      a.setServing(false);
      const [notServing] = await local.checkHealth(serviceDef(a.url, { type: "connect" }));
      expect(notServing).toMatchObject({ status: "NOT_SERVING", ok: false });
      const [named] = await local.checkHealth(serviceDef(a.url, { type: "grpc-web" }), {
        serviceName: "examples.auth.v1.AuthService",
      });
      expect(named).toMatchObject({ status: "NOT_SERVING" });
      const [unknown] = await local.checkHealth(serviceDef(a.url), { serviceName: "nope.Service" });
      expect(unknown).toMatchObject({ status: "SERVICE_UNKNOWN", ok: false });
    } finally {
      await local.close();
      await a.close();
    }
  });
});
