/**
 * `maestro serve` over real HTTP: register a workflow with PUT, start a run, watch it with
 * `maestro status` and `maestro runs`, scrape /metrics, check /readyz.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Shop, startShop } from "../../examples/services/shop.js";
import { createHttpCaller } from "../../src/callers/http-caller.js";
import { main } from "../../src/cli/main.js";
import { silentLogger } from "../../src/ports/logger.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { memoryStore } from "../../src/server/stores.js";
import { captureIo } from "../helpers/capture-io.js";
import { orderWorkflowText } from "../helpers/order-workflow.js";

let shop: Shop;
let server: RunningServer;

beforeAll(async () => {
  shop = await startShop();
  server = await startServer({
    port: 0,
    store: memoryStore(),
    caller: createHttpCaller(),
    logger: silentLogger,
  });
});
afterAll(async () => {
  await server.close();
  await shop.close();
});

describe("maestro serve", () => {
  it("accepts a workflow and a run over HTTP, and reports them", async () => {
    const put = await fetch(`${server.url}/v1/workflows/order_processing/versions/1.0.0`, {
      method: "PUT",
      body: await orderWorkflowText(shop, "1.0.0"),
    });
    expect(put.status).toBe(201);
    const started = await fetch(`${server.url}/v1/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        workflow: "order_processing",
        input: { order_id: "o-9", items: [], amount_cents: 100, address: "here" },
      }),
    });
    expect(started.status).toBe(201);
    const { runId } = (await started.json()) as { runId: string };

    const io = captureIo({ MAESTRO_ENDPOINT: server.url });
    const code = await main(["status", runId, "--watch", "--interval", "50"], io);
    expect(code).toBe(0);
    const out = io.out.join("");
    expect(out).toContain(`run ${runId}  order_processing@1.0.0  succeeded`);
    expect(out).toMatch(/charge_card\s+payments · POST \/charges\s+succeeded\s+1/);

    const list = captureIo({ MAESTRO_ENDPOINT: server.url });
    expect(await main(["runs", "--workflow", "order_processing"], list)).toBe(0);
    expect(list.out.join("")).toMatch(
      new RegExp(`${runId}\\s+order_processing\\s+1.0.0\\s+succeeded`),
    );

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/maestro_runs_started_total\{workflow="order_processing"\} 1/);
    expect(metrics).toMatch(
      /maestro_runs_finished_total\{workflow="order_processing",status="succeeded"\} 1/,
    );
    expect(metrics).toMatch(
      /maestro_step_duration_seconds_count\{workflow="order_processing",service="payments",outcome="succeeded"\} 1/,
    );

    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      ok: true,
      checks: [
        { name: "store", ok: true },
        { name: "queue", ok: true, depth: 0 },
      ],
    });
  });

  it("reports an unreachable API clearly", async () => {
    const io = captureIo({ MAESTRO_ENDPOINT: "http://127.0.0.1:9" });
    expect(await main(["status", "nope"], io)).toBe(1);
    expect(io.err.join("")).toContain("cannot reach http://127.0.0.1:9");
  });
});
