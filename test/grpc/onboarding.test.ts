/**
 * The seed workflow (examples/workflows/user_onboarding.yaml) unchanged, on the local runtime,
 * against the example gRPC services and an HTTP CRM: the Connect caller end to end.
 */
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startAuthService } from "../../examples/services/auth/server.js";
import { startBillingService } from "../../examples/services/billing/server.js";
import { startEmailService } from "../../examples/services/email/server.js";
import type { FaultRules } from "../../examples/services/grpc-kit.js";
import { createService, listen, newState } from "../../examples/services/toolkit.js";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { createConnectCaller } from "../../src/callers/connect-caller.js";
import { dispatchByType } from "../../src/callers/dispatch.js";
import { createHttpCaller } from "../../src/callers/http-caller.js";
import { createLocalRuntime } from "../../src/runtime/local-runtime.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { withEndpoints } from "../../src/workflow/endpoints.js";
import { loadWorkflowFile } from "../../src/workflow/load.js";

const file = fileURLToPath(
  new URL("../../examples/workflows/user_onboarding.yaml", import.meta.url),
);
const input = {
  email: "ada@example.com",
  password: "correct horse battery staple",
  name: "Ada",
  plan: "pro",
};
const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function onboard(
  faults: { auth?: FaultRules; billing?: FaultRules; email?: FaultRules } = {},
) {
  const [auth, billing, email] = await Promise.all([
    startAuthService({ faults: faults.auth ?? {} }),
    startBillingService({ faults: faults.billing ?? {} }),
    startEmailService({ faults: faults.email ?? {} }),
  ]);
  const crmState = newState();
  let contacts = 0;
  const crm = await listen(
    "crm",
    createService(
      {
        "POST /contacts": (body) => ({ status: 201, body: { id: `c${++contacts}`, ...body } }),
        "DELETE /contacts/:id": () => ({ status: 204, body: null }),
      },
      crmState,
    ),
    crmState,
    0,
  );
  cleanup.push(async () => {
    await Promise.all([auth.close(), billing.close(), email.close(), crm.close()]);
  });
  const loaded = await loadWorkflowFile(file);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  const workflow = withEndpoints(
    loaded.workflow,
    new Map([
      ["auth_service", [`127.0.0.1:${auth.port}`]],
      ["billing_service", [billing.url]],
      ["email_service", [email.url]],
      ["crm_service", [crm.url]],
    ]),
  );
  const connect = createConnectCaller();
  const queue = createMemoryTaskQueue();
  const runtime = createLocalRuntime({
    log: createMemorySagaLog(),
    queue,
    caller: dispatchByType({
      http: createHttpCaller(),
      grpc: connect,
      connect,
      "grpc-web": connect,
    }),
    workflows: staticWorkflows([workflow]),
    sweepEveryMs: 1_000,
    stallMs: 10_000,
  });
  runtime.start();
  cleanup.push(async () => {
    queue.close();
    await runtime.stop();
    await connect.close();
  });
  const { runId } = await runtime.startRun({ workflow, input });
  const state = await runtime.waitForRun(runId, { timeoutMs: 15_000 });
  return { state, auth, billing, email, crm };
}

describe("user_onboarding over gRPC", () => {
  it("runs to the end, with templates reading the gRPC outputs", async () => {
    const { state, auth, email, crm } = await onboard({
      auth: { CreateUser: { fault: "unavailable", times: 2 } },
    });
    expect(state.status).toBe("succeeded");
    expect(state.output).toEqual({
      user_id: "usr_0001",
      subscription_id: "sub_0001",
      crm_contact_id: "c1",
    });
    // Two injected failures, retried under the same key; one account.
    expect(auth.calls.filter((c) => c.method === "CreateUser").map((c) => c.outcome)).toEqual([
      "fault",
      "fault",
      "ok",
    ]);
    expect(auth.users.get("usr_0001")?.active).toBe(true);
    expect(email.outbox).toEqual([
      expect.objectContaining({
        subject: "Welcome, Ada!",
        body: "Hi Ada, you are on the Pro plan.",
      }),
    ]);
    expect(crm.state.calls.map((c) => c.body)).toEqual([
      { user_id: "usr_0001", email: "ada@example.com", subscription_tier: "TIER_PRO" },
    ]);
  });

  it("compensates in reverse when a gRPC step fails for good", async () => {
    const { state, auth, billing } = await onboard({
      email: { SendTemplate: { fault: "invalid_argument" } },
    });
    expect(state.status).not.toBe("succeeded");
    expect(state.failure?.error).toMatchObject({ code: "invalid_argument", retryable: false });
    expect(billing.effects("CancelSubscription")).toHaveLength(1);
    expect(billing.subscriptions.get("sub_0001")?.cancelled).toBe(true);
    expect(auth.effects("DeleteUser")).toHaveLength(1);
    expect(auth.users.size).toBe(0);
  });
});
