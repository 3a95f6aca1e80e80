/**
 * The Go predecessor's README workflow, unchanged (test/fixtures/seed_readme.yaml), run
 * end to end by `maestro execute` against the example gRPC services and the HTTP CRM,
 * pointed at them with endpoint overrides.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DISPOSABLE_DOMAIN, startCrm } from "../../examples/services/crm.js";
import type { RunningService } from "../../examples/services/toolkit.js";
import { main } from "../../src/cli/main.js";
import { captureIo } from "../helpers/capture-io.js";
import { type ExampleServices, startExampleServices } from "./helpers.js";

let services: ExampleServices;
let crm: RunningService;
beforeAll(async () => {
  services = await startExampleServices();
  crm = await startCrm();
});
afterAll(async () => {
  await services.close();
  await crm.close();
});

async function execute(input: object) {
  const io = captureIo();
  const code = await main(
    [
      "execute",
      "test/fixtures/seed_readme.yaml",
      "--input",
      JSON.stringify(input),
      "--endpoint",
      `auth_service=127.0.0.1:${services.auth.port}`,
      "--endpoint",
      `billing_service=${services.billing.url}`,
      "--endpoint",
      `email_service=${services.email.url}`,
      "--endpoint",
      `crm_service=${crm.url}`,
    ],
    io,
  );
  return { code, result: JSON.parse(io.out.join("")) };
}

describe("the seed README workflow", () => {
  it("runs to success across gRPC and HTTP services", async () => {
    const { code, result } = await execute({
      email: "ada@example.com",
      password: "correct horse battery staple",
      name: "Ada",
      plan: "pro",
    });
    expect(code).toBe(0);
    expect(result).toMatchObject({
      status: "succeeded",
      output: { user_id: expect.stringMatching(/^usr_/) },
    });
    expect(result.output.subscription_id).toMatch(/^sub_/);
  });

  it("undoes the subscription when the CRM refuses the contact", async () => {
    const { code, result } = await execute({
      email: `grace@${DISPOSABLE_DOMAIN}`,
      password: "correct horse battery staple",
      name: "Grace",
      plan: "pro",
    });
    expect(code).toBe(1);
    expect(result).toMatchObject({
      status: "compensated",
      failedStep: "add_to_crm",
      compensated: ["setup_subscription"],
    });
    expect(services.billing.effects("CancelSubscription")).toHaveLength(1);
  });
});
