/**
 * `maestro serve` on its embedded store keeps the workflow's sensitive values sealed on
 * disk: a run of order_processing (its `input.address` is sensitive) succeeds with the
 * address delivered to the shipping service, no file in the data directory holds the
 * address, the key file is its owner's only, and a restarted server reads the run back.
 */
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Shop, startShop } from "../../examples/services/shop.js";
import { createHttpCaller } from "../../src/callers/http-caller.js";
import { silentLogger } from "../../src/ports/logger.js";
import { SEALING_KEY_FILE } from "../../src/server/sealing-key.js";
import { startServer } from "../../src/server/server.js";
import { embeddedStore } from "../../src/server/stores.js";
import { orderWorkflowText } from "../helpers/order-workflow.js";
import { readUntil } from "../helpers/read-until.js";

const ADDRESS = "17 Rue des Lilas, 69001 Lyon";
let shop: Shop;
let dir: string;

beforeAll(async () => {
  shop = await startShop();
  dir = await mkdtemp(join(tmpdir(), "maestro-sealed-"));
});
afterAll(async () => {
  await shop.close();
  await rm(dir, { recursive: true, force: true });
});

async function serve() {
  return startServer({
    port: 0,
    store: await embeddedStore(dir, {}),
    caller: createHttpCaller(),
    logger: silentLogger,
  });
}

describe("serve seals sensitive values at rest", () => {
  it("runs on the clear address and never writes it to disk", async () => {
    const server = await serve();
    let runId = "";
    try {
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
          input: { order_id: "o-1", items: [], amount_cents: 100, address: ADDRESS },
        }),
      });
      runId = ((await started.json()) as { runId: string }).runId;
      const run = await readUntil(
        async () => (await (await fetch(`${server.url}/v1/runs/${runId}`)).json()) as never,
        (r: { status: string }) => r.status === "succeeded",
      );
      expect(run).toMatchObject({ input: { address: "[redacted]" } });
      expect(JSON.stringify(shop.shipping.state.calls)).toContain(ADDRESS);
    } finally {
      await server.close();
    }

    for (const file of await readdir(dir)) {
      expect((await readFile(join(dir, file))).includes(ADDRESS), file).toBe(false);
    }
    expect((await stat(join(dir, SEALING_KEY_FILE))).mode & 0o777).toBe(0o600);

    const again = await serve();
    try {
      const response = await fetch(`${again.url}/v1/runs/${runId}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        status: "succeeded",
        input: { order_id: "o-1", address: "[redacted]" },
      });
    } finally {
      await again.close();
    }
  });
});
