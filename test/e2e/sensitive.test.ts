/**
 * `sensitive:` end to end over real HTTP: the service receives the raw card number and
 * the run works, while GET /v1/runs/{id}, the SSE stream, Connect GetRun, the UI page, the
 * input_schema refusal and the workers' logs show it only as [redacted].
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { toJson } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpCaller } from "../../src/callers/http-caller.js";
import { GetRunResponseSchema, RunService } from "../../src/gen/maestro/v1/runs_pb.js";
import type { Logger } from "../../src/ports/logger.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { memoryStore } from "../../src/server/stores.js";
import { readUntil } from "../helpers/read-until.js";

const CARD = "4111111111111111";
const TOKEN = "tok_live_5f4e3d2c1b";
const received: unknown[] = [];
const lines: string[] = [];
let receipts = 0;
let service: Server;
let server: RunningServer;

function capturing(base: Record<string, unknown> = {}): Logger {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(JSON.stringify({ level, message, ...base, ...fields }));
  };
  return {
    debug: line("debug"),
    info: line("info"),
    warn: line("warn"),
    error: line("error"),
    child: (fields) => capturing({ ...base, ...fields }),
  };
}

const WORKFLOW = (endpoint: string) => `
name: pay
version: "1.0.0"
input_schema:
  type: object
  properties:
    card: { type: object, properties: { number: { type: string, pattern: "^[0-9]+$" } } }
services:
  payments: { type: http, endpoint: "${endpoint}", retry: { initial_interval: 10ms } }
steps:
  - id: charge_card
    service: payments
    method: POST /charges
    input: { number: "{{ .input.card.number }}", holder: "{{ .input.card.holder }}" }
    output: charge
  - id: receipt
    service: payments
    method: POST /receipts
    input: { token: "{{ .charge.card_token }}" }
    output: receipt
output:
  text: "{{ .receipt.text }}"
  holder: "{{ .input.card.holder }}"
sensitive:
  - input.card.number
  - charge.card_token
`;

beforeAll(async () => {
  // A careless service: it echoes what it was sent, in its answers and its errors.
  service = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const input = JSON.parse(body) as { number?: string; token?: string };
      received.push(input);
      res.setHeader("content-type", "application/json");
      if (req.url === "/charges") {
        res.end(JSON.stringify({ id: "ch_1", card_token: TOKEN, note: `charged ${input.number}` }));
      } else if (receipts++ === 0) {
        // The first attempt fails, quoting the card token in its status line and body.
        res.writeHead(503, `token ${input.token} busy`);
        res.end(JSON.stringify({ message: `cannot use ${input.token} yet` }));
      } else {
        res.end(JSON.stringify({ text: `receipt for ${input.token}` }));
      }
    });
  });
  await new Promise<void>((r) => service.listen(0, "127.0.0.1", r));
  const endpoint = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
  server = await startServer({
    port: 0,
    store: memoryStore(),
    caller: createHttpCaller(),
    logger: capturing(),
    sweepEveryMs: 50,
  });
  const put = await fetch(`${server.url}/v1/workflows/pay/versions/1.0.0`, {
    method: "PUT",
    headers: { "content-type": "application/yaml" },
    body: WORKFLOW(endpoint),
  });
  expect(put.status).toBe(201);
});
afterAll(async () => {
  await server.close();
  await new Promise((r) => service.close(r));
});

function expectNoRaw(text: string) {
  expect(text).not.toContain(CARD);
  expect(text).not.toContain(TOKEN);
}

describe("sensitive fields", () => {
  it("reach the service raw and appear nowhere a run is read", async () => {
    const input = { card: { number: CARD, holder: "Ada Lovelace" } };
    const started = await fetch(`${server.url}/v1/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ workflow: "pay", input }),
    });
    expect(started.status).toBe(201);
    const { runId } = (await started.json()) as { runId: string };
    const run = await readUntil(
      async () =>
        (await (await fetch(`${server.url}/v1/runs/${runId}`)).json()) as Record<string, unknown>,
      (r) => r.status === "succeeded" || r.status === "failed" || r.status === "compensated",
    );

    // The run worked on the raw values.
    expect(run.status).toBe("succeeded");
    expect(received).toContainEqual({ number: CARD, holder: "Ada Lovelace" });
    expect(received).toContainEqual({ token: TOKEN });

    // GET /v1/runs/{id}: masked at the paths, in step outputs, in echoes, in the output.
    expectNoRaw(JSON.stringify(run));
    expect(run.input).toEqual({ card: { number: "[redacted]", holder: "Ada Lovelace" } });
    expect(run.output).toEqual({ text: "receipt for [redacted]", holder: "Ada Lovelace" });
    const steps = run.steps as { step: string; output?: unknown }[];
    expect(steps[0]?.output).toEqual({
      id: "ch_1",
      card_token: "[redacted]",
      note: "charged [redacted]",
    });

    // The saga log as server-sent events, the failed attempt's error and details included.
    const sse = await (await fetch(`${server.url}/v1/runs/${runId}/events`)).text();
    expect(sse).toContain("step_attempt_failed");
    expect(sse).toContain("[redacted]");
    expectNoRaw(sse);
    const resumed = await (
      await fetch(`${server.url}/v1/runs/${runId}/events`, { headers: { "last-event-id": "3" } })
    ).text();
    expect(resumed).toContain("run_finished");
    expectNoRaw(resumed);

    // Connect GetRun.
    const client = createClient(
      RunService,
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    );
    const got = await client.getRun({ runId });
    expect(got.run?.status).toBe("succeeded");
    expectNoRaw(JSON.stringify(toJson(GetRunResponseSchema, got)));

    // The UI page.
    const page = await fetch(`${server.url}/ui/runs/${runId}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("charge_card");
    expectNoRaw(html);

    // The workers' log lines, the failed call's included.
    const failed = lines.find((l) => l.includes("call failed"));
    expect(failed).toContain("[redacted]");
    expectNoRaw(lines.join("\n"));
  });

  it("never quotes a sensitive value in an input_schema refusal", async () => {
    const bad = "4111-1111-1111-1111";
    const res = await fetch(`${server.url}/v1/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ workflow: "pay", input: { card: { number: bad } } }),
    });
    expect(res.status).toBe(422);
    const text = await res.text();
    expect(text).toContain("card.number");
    expect(text).not.toContain(bad);
  });
});
