/**
 * `maestro execute` end to end against real HTTP services on loopback: the example shop
 * (inventory, payments, shipping) and the greeter.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startGreeter } from "../../examples/services/greeter.js";
import { type Shop, startShop } from "../../examples/services/shop.js";
import type { RunningService } from "../../examples/services/toolkit.js";
import { main } from "../../src/cli/main.js";
import { captureIo } from "../helpers/capture-io.js";

let shop: Shop;
let greeter: RunningService;

beforeAll(async () => {
  shop = await startShop();
  greeter = await startGreeter();
});
afterAll(async () => {
  await shop.close();
  await greeter.close();
});
beforeEach(() => {
  for (const s of [shop.inventory, shop.payments, shop.shipping]) {
    s.state.calls.length = 0;
    s.state.faults.clear();
  }
});

const endpoints = () =>
  Object.entries(shop.endpoints).flatMap(([k, v]) => ["--endpoint", `${k}=${v}`]);

async function execute(args: string[], env: Record<string, string> = {}) {
  const io = captureIo(env);
  const code = await main(["execute", ...args], io);
  const stdout = io.out.join("");
  return { code, result: stdout ? JSON.parse(stdout) : undefined, stderr: io.err.join("") };
}

describe("maestro execute over HTTP", () => {
  it("runs hello_world and prints the output", async () => {
    const { code, result, stderr } = await execute([
      "examples/workflows/hello_world.yaml",
      "--input-file",
      "examples/inputs/hello_world.json",
      "--endpoint",
      `greeter=${greeter.url}`,
    ]);
    expect(code).toBe(0);
    expect(result).toMatchObject({ status: "succeeded", output: { message: "Hello, Ada!" } });
    // Logs are JSON lines on stderr, with the run and step ids.
    const lines = stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.find((l) => l.message === "call succeeded")).toMatchObject({
      stepId: "greet",
      attempt: 1,
    });
  });

  it("runs the order saga to success, with every call carrying its idempotency key", async () => {
    const { code, result } = await execute([
      "examples/workflows/order_processing.yaml",
      "--input-file",
      "examples/inputs/order_processing.json",
      ...endpoints(),
    ]);
    expect(code).toBe(0);
    expect(result.status).toBe("succeeded");
    expect(result.output.tracking).toMatch(/^TRK/);
    const charge = shop.payments.state.calls[0];
    expect(charge?.idempotencyKey).toBe(`${result.runId}/charge_card`);
    const confirm = shop.inventory.state.calls.find(
      (c) => c.route === "POST /reservations/:id/confirm",
    );
    expect(confirm?.path).toMatch(/^\/reservations\/res_/);
  });

  it("compensates in reverse order when a late step fails terminally, and exits 1", async () => {
    const { code, result } = await execute([
      "examples/workflows/order_processing.yaml",
      "--input-file",
      "examples/inputs/order_processing_unshippable.json",
      ...endpoints(),
    ]);
    expect(code).toBe(1);
    expect(result).toMatchObject({
      status: "compensated",
      failedStep: "book_shipment",
      error: { code: "failed_precondition" },
      compensated: ["charge_card", "reserve_stock"],
    });
    expect(shop.payments.effects("POST /charges/:id/refunds")).toHaveLength(1);
    expect(shop.inventory.effects("DELETE /reservations/:id")).toHaveLength(1);
    // The refund carried the compensation key.
    expect(shop.payments.effects("POST /charges/:id/refunds")[0]?.idempotencyKey).toBe(
      `${result.runId}/charge_card/compensate`,
    );
  });

  it("retries a retryable failure with the same idempotency key and succeeds", async () => {
    shop.payments.state.faults.set("POST /charges", {
      route: "POST /charges",
      mode: "times",
      count: 2,
      status: 503,
    });
    const { code, result } = await execute([
      "examples/workflows/order_processing.yaml",
      "--input-file",
      "examples/inputs/order_processing.json",
      ...endpoints(),
    ]);
    expect(code).toBe(0);
    const charges = shop.payments.state.calls.filter((c) => c.route === "POST /charges");
    expect(charges.map((c) => c.attempt)).toEqual(["1", "2", "3"]);
    expect(new Set(charges.map((c) => c.idempotencyKey))).toEqual(
      new Set([`${result.runId}/charge_card`]),
    );
    expect(shop.payments.effects("POST /charges")).toHaveLength(1);
  });

  it("treats a call past its timeout as retryable and compensates when retries run out", async () => {
    // Shipping answers after 300ms; the workflow's default timeout is 30s, so override with a
    // variant whose shipping timeout is 100ms.
    shop.shipping.state.faults.set("POST /shipments", {
      route: "POST /shipments",
      mode: "delay",
      delayMs: 300,
    });
    const { code, result } = await execute([
      "test/fixtures/order_processing_fast_timeout.yaml",
      "--input-file",
      "examples/inputs/order_processing.json",
      ...endpoints(),
    ]);
    expect(code).toBe(1);
    expect(result).toMatchObject({
      status: "compensated",
      failedStep: "book_shipment",
      error: { code: "deadline_exceeded" },
    });
    expect(shop.shipping.state.calls.filter((c) => c.route === "POST /shipments")).toHaveLength(2);
  });

  it("rejects bad input with exit 2 and an invalid workflow with exit 1", async () => {
    expect((await execute(["examples/workflows/hello_world.yaml", "--input", "{nope"])).code).toBe(
      2,
    );
    expect(
      (await execute(["examples/workflows/hello_world.yaml", "--endpoint", "nosuch=http://x"]))
        .code,
    ).toBe(2);
    const invalid = await execute(["test/fixtures/invalid/broken_onboarding.yaml"]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain(
      'broken_onboarding.yaml:15:14: service "auth_servce" is not defined',
    );
  });

  it("takes endpoint overrides from MAESTRO_ENDPOINTS", async () => {
    const { code } = await execute(
      ["examples/workflows/hello_world.yaml", "--input", '{"name":"Env"}'],
      { MAESTRO_ENDPOINTS: `greeter=${greeter.url}` },
    );
    expect(code).toBe(0);
  });
});
