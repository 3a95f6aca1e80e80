import { describe, expect, it } from "vitest";
import { evaluateValue } from "../../src/template/index.js";
import { loadWorkflowFile } from "../../src/workflow/load.js";
import { compiled, dependencies, EXAMPLES, lines, loadRepoFile, ROOT, SEED } from "./helpers.js";

describe("the examples and the seed README workflow", () => {
  it.each([...EXAMPLES, SEED])("%s validates with no diagnostics", (file) => {
    const result = loadRepoFile(file);
    expect(lines(result)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it("loads from disk with loadWorkflowFile, and names a missing file", async () => {
    const result = await loadWorkflowFile(`${ROOT}${SEED}`);
    expect(result.ok).toBe(true);
    const missing = await loadWorkflowFile(`${ROOT}test/fixtures/no_such_workflow.yaml`);
    expect(missing.ok).toBe(false);
    expect(lines(missing)).toEqual([
      `${ROOT}test/fixtures/no_such_workflow.yaml:1:1: no such file`,
    ]);
  });
});

describe("the seed README workflow's model", () => {
  const workflow = compiled(loadRepoFile(SEED));

  it("has the name, version and four services of the README", () => {
    expect(workflow.name).toBe("user_onboarding");
    expect(workflow.version).toBe("1.0");
    expect(workflow.file).toBe(SEED);
    expect(
      [...workflow.services.values()].map((s) => [s.name, s.type, s.endpoints.join(",")]),
    ).toEqual([
      ["auth_service", "grpc", "auth-service:50051"],
      ["billing_service", "grpc", "billing-service:50052"],
      ["crm_service", "http", "http://crm-api:8080"],
      ["email_service", "grpc", "email-service:50053"],
    ]);
  });

  it("has four steps, each depending on the one before (sequential by default)", () => {
    expect(workflow.steps.map((s) => s.id)).toEqual([
      "create_user",
      "setup_subscription",
      "add_to_crm",
      "send_welcome_email",
    ]);
    expect(dependencies(workflow)).toEqual({
      create_user: [],
      setup_subscription: ["create_user"],
      add_to_crm: ["setup_subscription"],
      send_welcome_email: ["add_to_crm"],
    });
    expect([...(workflow.stepsById.get("send_welcome_email")?.upstream ?? [])].sort()).toEqual([
      "add_to_crm",
      "create_user",
      "setup_subscription",
    ]);
    expect(Object.fromEntries(workflow.dependents)).toEqual({
      create_user: ["setup_subscription"],
      setup_subscription: ["add_to_crm"],
      add_to_crm: ["send_welcome_email"],
      send_welcome_email: [],
    });
  });

  it("calls each step's service and method", () => {
    expect(workflow.steps.map((s) => [s.call?.service, s.call?.method.source])).toEqual([
      ["auth_service", "CreateUser"],
      ["billing_service", "CreateSubscription"],
      ["crm_service", "POST /contacts"],
      ["email_service", "SendTemplate"],
    ]);
    expect(workflow.stepsById.get("create_user")?.call?.input?.source).toEqual({
      email: "{{ .input.email }}",
      password: "{{ .input.password }}",
    });
  });

  it("maps each output name to the step that produces it", () => {
    expect(Object.fromEntries(workflow.outputs)).toEqual({
      user: "create_user",
      subscription: "setup_subscription",
      crm_contact: "add_to_crm",
    });
    expect(workflow.steps.map((s) => s.output)).toEqual([
      "user",
      "subscription",
      "crm_contact",
      undefined,
    ]);
  });

  it("gives add_to_crm a compensation whose method is a template over its own output", () => {
    const step = workflow.stepsById.get("add_to_crm");
    const undo = step?.compensate;
    expect(undo?.service).toBe("crm_service");
    expect(undo?.method.source).toBe("DELETE /contacts/{{ .crm_contact.id }}");
    // Compensations are retried harder than calls: ten attempts unless the file says otherwise.
    expect(undo?.retry.maxAttempts).toBe(10);
    expect(workflow.stepsById.get("setup_subscription")?.compensate?.method.source).toBe(
      "CancelSubscription",
    );
    expect(workflow.stepsById.get("create_user")?.compensate).toBeUndefined();
    expect(workflow.stepsById.get("send_welcome_email")?.compensate).toBeUndefined();
  });

  it("records which outputs each step's templates read", () => {
    expect(Object.fromEntries(workflow.steps.map((s) => [s.id, [...s.needs].sort()]))).toEqual({
      create_user: [],
      setup_subscription: ["create_user"],
      add_to_crm: ["create_user", "setup_subscription"],
      send_welcome_email: ["setup_subscription"],
    });
  });

  it("builds the workflow output from the step outputs, keeping JSON types", () => {
    expect(workflow.output?.source).toEqual({
      user_id: "{{ .user.id }}",
      subscription_id: "{{ .subscription.id }}",
    });
    if (!workflow.output) throw new Error("the seed workflow has an output");
    const scope = { user: { id: 7 }, subscription: { id: "sub_1" } };
    expect(evaluateValue(workflow.output, scope)).toEqual({ user_id: 7, subscription_id: "sub_1" });
  });

  it("applies the defaults: 30 s calls with three attempts, a 24 h run, no triggers", () => {
    const call = workflow.stepsById.get("create_user")?.call;
    expect(call?.timeoutMs).toBe(30_000);
    expect(call?.retry.maxAttempts).toBe(3);
    expect(workflow.timeoutMs).toBe(24 * 3_600_000);
    expect(workflow.triggers).toEqual([]);
  });
});

describe("the user_onboarding example's model", () => {
  const workflow = compiled(loadRepoFile("examples/workflows/user_onboarding.yaml"));

  it("joins the parallel group before the sleep and runs activate last", () => {
    expect(dependencies(workflow)).toEqual({
      create_user: [],
      setup_subscription: ["create_user"],
      add_to_crm: ["setup_subscription"],
      send_welcome_email: ["setup_subscription"],
      settle: ["add_to_crm", "send_welcome_email"],
      activate: ["settle"],
    });
    expect(workflow.steps.map((s) => s.group)).toEqual([
      undefined,
      undefined,
      "welcome",
      "welcome",
      undefined,
      undefined,
    ]);
  });

  it("compiles sleeps, conditions, service settings and the queue trigger", () => {
    expect(workflow.stepsById.get("settle")?.sleepMs).toBe(50);
    expect(workflow.stepsById.get("settle")?.call).toBeUndefined();
    expect(workflow.stepsById.get("setup_subscription")?.when.map((w) => w.source)).toEqual([
      '{{ ne .input.plan "none" }}',
    ]);
    const auth = workflow.services.get("auth_service");
    expect(auth?.timeoutMs).toBe(5_000);
    expect(auth?.retry).toMatchObject({
      maxAttempts: 5,
      initialIntervalMs: 100,
      backoffCoefficient: 2,
      maxIntervalMs: 5_000,
    });
    expect(workflow.services.get("billing_service")?.rateLimit).toEqual({
      perSecond: 20,
      burst: 5,
    });
    expect(workflow.services.get("billing_service")?.circuitBreaker).toMatchObject({
      failureThreshold: 5,
      openDurationMs: 30_000,
      halfOpenCalls: 2,
    });
    expect(workflow.timeoutMs).toBe(15 * 60_000);
    expect(workflow.triggers).toEqual([{ kind: "queue", queue: "onboarding-requests" }]);
  });
});

describe("the order_processing example's model", () => {
  const workflow = compiled(loadRepoFile("examples/workflows/order_processing.yaml"));

  it("is a four-step chain whose compensations read the step's own output", () => {
    expect(dependencies(workflow)).toEqual({
      reserve_stock: [],
      charge_card: ["reserve_stock"],
      book_shipment: ["charge_card"],
      confirm: ["book_shipment"],
    });
    expect(workflow.stepsById.get("charge_card")?.compensate?.method.source).toBe(
      "POST /charges/{{ .charge.id }}/refunds",
    );
    // A step's own retry overrides the service's, field by field.
    expect(workflow.stepsById.get("book_shipment")?.call?.retry.maxAttempts).toBe(2);
    expect(workflow.stepsById.get("charge_card")?.call?.retry).toMatchObject({
      maxAttempts: 3,
      initialIntervalMs: 100,
      maxIntervalMs: 2_000,
    });
  });
});
