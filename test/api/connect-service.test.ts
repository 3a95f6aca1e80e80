/** The Connect RunService over real HTTP, with a generated client and with `buf curl`. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunService } from "../../src/gen/maestro/v1/runs_pb.js";
import { silentLogger } from "../../src/ports/logger.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { memoryStore } from "../../src/server/stores.js";
import { createFakeServices } from "../helpers/fake-services.js";
import { workflowFrom } from "../helpers/workflows.js";

const run = promisify(execFile);
let server: RunningServer;
const workflow = workflowFrom(`
name: greet
version: "1.0.0"
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - { id: hello, service: svc, method: POST /hello, output: hello }
output: { said: "{{ .hello.echo.name }}" }
`);

beforeAll(async () => {
  server = await startServer({
    port: 0,
    store: memoryStore(),
    caller: createFakeServices(),
    logger: silentLogger,
    workflows: [workflow],
  });
});
afterAll(() => server.close());

describe("Connect RunService", () => {
  it("starts and reads runs with a generated client, idempotently", async () => {
    const client = createClient(
      RunService,
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    );
    const first = await client.startRun({
      workflow: "greet",
      input: { name: "Ada" },
      idempotencyKey: "k1",
    });
    const again = await client.startRun({
      workflow: "greet",
      input: { name: "Ada" },
      idempotencyKey: "k1",
    });
    expect(again.run?.id).toBe(first.run?.id);
    await server.runtime.waitForRun(first.run?.id ?? "");
    const read = await client.getRun({ runId: first.run?.id ?? "" });
    expect(read.run?.status).toBe("succeeded");
    await expect(client.getRun({ runId: "nope" })).rejects.toThrow(/not found/);
  });

  it("answers buf curl, a client nobody here wrote", async () => {
    const { stdout } = await run("npx", [
      "buf",
      "curl",
      "--schema",
      "proto",
      "--protocol",
      "connect",
      "--data",
      '{"workflow":"greet","input":{"name":"Grace"}}',
      `${server.url}/maestro.v1.RunService/StartRun`,
    ]);
    const reply = JSON.parse(stdout) as { run: { id: string; status: string; workflow: string } };
    expect(reply.run).toMatchObject({ workflow: "greet", version: "1.0.0" });
  });
});
