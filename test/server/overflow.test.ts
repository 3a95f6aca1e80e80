/** serve --max-backlog: run requests get 429 with Retry-After while the task backlog is past the bound. */
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/ports/logger.js";
import { startServer } from "../../src/server/server.js";
import { memoryStore } from "../../src/server/stores.js";
import { createFakeServices } from "../helpers/fake-services.js";
import { workflowFrom } from "../helpers/workflows.js";

describe("overflow", () => {
  it("refuses new runs with 429 and Retry-After once the backlog passes the bound", async () => {
    const services = createFakeServices();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    services.on("POST /slow", async () => {
      await gate;
      return { ok: true, output: {} };
    });
    const workflow = workflowFrom(`
name: slow
version: "1.0.0"
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - { id: a, service: svc, method: POST /slow }
`);
    const server = await startServer({
      port: 0,
      store: memoryStore(),
      caller: services,
      logger: silentLogger,
      workflows: [workflow],
      concurrency: 1,
      maxBacklog: 1,
    });
    try {
      const start = () =>
        fetch(`${server.url}/v1/runs`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ workflow: "slow" }),
        });
      const statuses: number[] = [];
      let refused: Response | undefined;
      for (let i = 0; i < 5; i++) {
        const res = await start();
        statuses.push(res.status);
        if (res.status === 429) refused = res;
      }
      expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
      if (!refused) throw new Error("no request was refused");
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(((await refused.json()) as { code: string }).code).toBe("overloaded");
      const refusals = statuses.filter((s) => s === 429).length;

      // Past the bound the server stays ready and says so; /metrics has the bound and refusals.
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(200);
      const queue = ((await ready.json()) as { checks: { name: string }[] }).checks.find(
        (c) => c.name === "queue",
      );
      expect(queue).toMatchObject({ ok: true, bound: 1, overflowing: true });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/^maestro_backlog_bound 1$/m);
      expect(metrics).toMatch(/^maestro_queue_depth [2-9]$/m);
      expect(metrics).toContain(`maestro_runs_refused_total{reason="overloaded"} ${refusals}`);
    } finally {
      release();
      await server.close();
    }
  });
});
