/**
 * `maestro serve` on its embedded store, restarted: slots live in memory, but the log says
 * which runs hold one, so after the restart an admitted run still counts against the limit.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, it } from "vitest";
import { RunService } from "../../src/gen/maestro/v1/runs_pb.js";
import { silentLogger } from "../../src/ports/logger.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { embeddedStore } from "../../src/server/stores.js";
import { createFakeServices } from "../helpers/fake-services.js";
import { workflowFrom } from "../helpers/workflows.js";

const dir = mkdtempSync(join(tmpdir(), "maestro-slots-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The call fails and its retry is an hour away: an admitted run holds its slot with nothing in hand.
const workflow = workflowFrom(`
name: approvals
version: "1.0.0"
concurrency: { max: 1 }
services:
  svc:
    type: http
    endpoint: "http://svc"
    retry: { max_attempts: 3, initial_interval: 1h, jitter: none }
steps:
  - { id: work, service: svc, method: POST /work }
`);
const services = createFakeServices();
services.on("POST /work", () => ({
  ok: false,
  error: { code: "unavailable", message: "down", retryable: true },
}));

async function serve(): Promise<{ server: RunningServer; client: ReturnType<typeof connect> }> {
  const server = await startServer({
    port: 0,
    store: await embeddedStore(dir),
    caller: services,
    logger: silentLogger,
    workflows: [workflow],
    sweepEveryMs: 50,
  });
  return { server, client: connect(server.url) };
}
const connect = (url: string) =>
  createClient(RunService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));

async function until(check: () => Promise<boolean>) {
  for (let i = 0; i < 1_000 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
}

describe("serve restarted on its embedded store", () => {
  it("gives runs admitted before the restart their slots again", async () => {
    const before = await serve();
    const first = (await before.client.startRun({ workflow: "approvals" })).run?.id ?? "";
    await until(async () => services.callsTo("POST /work").length === 1);
    await before.server.close();

    const after = await serve();
    try {
      const second = (await after.client.startRun({ workflow: "approvals" })).run?.id ?? "";
      await until(
        async () => (await after.client.getRun({ runId: second })).run?.waitingFor !== "",
      );
      expect((await after.client.getRun({ runId: second })).run?.waitingFor).toBe(
        "concurrency_slot",
      );
      // The first run ends (cancelled; nothing to undo) and gives its slot back: the second goes on.
      await after.client.cancelRun({ runId: first });
      await until(async () => services.callsTo("POST /work").length === 2);
      expect((await after.client.getRun({ runId: second })).run?.waitingFor).toBe("");
      expect(services.callsTo("POST /work").map((c) => c.idempotencyKey)).toEqual([
        `${first}/work`,
        `${second}/work`,
      ]);
    } finally {
      await after.server.close();
    }
  });
});
