/**
 * A request that fails inside the store answers 500 "internal error" and logs the cause —
 * with the run's sensitive values masked, even when the store's error quotes the run.
 */
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { createApi } from "../../src/api/app.js";
import { REDACTED } from "../../src/engine/sensitive.js";
import { systemClock } from "../../src/ports/clock.js";
import type { Logger } from "../../src/ports/logger.js";
import type { SagaLog } from "../../src/ports/saga-log.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { workflowFrom } from "../helpers/workflows.js";

const CARD = "4111111111111111";
const CODE = "approval-code-9931";

const workflow = workflowFrom(`
name: payout
version: "1.0.0"
sensitive: [input.card, approval.code]
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - id: approve
    wait_for: { signal: approval, timeout: 1h }
    output: approval
  - { id: pay, service: svc, method: POST /payouts, input: { card: "{{ .input.card }}" } }
`);

const lines: { message: string; error: string }[] = [];
const logger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error(message, fields) {
    lines.push({ message, error: String(fields?.error) });
  },
  child: () => logger,
};

/** Refuses writes while `failing`, quoting what it holds of the run and what it was given. */
let failing = false;
function quotingLog(inner: SagaLog): SagaLog {
  const refuse = async (runId: string, events: readonly object[]) => {
    const held = (await inner.load(runId))?.events;
    return new Error(`item rejected: ${JSON.stringify({ held, events })}`);
  };
  return {
    ...inner,
    async create(header, events, options) {
      if (failing) throw await refuse(header.runId, events);
      return inner.create(header, events, options);
    },
    async append(runId, expectedSeq, events, options) {
      if (failing) throw await refuse(runId, events);
      return inner.append(runId, expectedSeq, events, options);
    },
  };
}

let server: ServerType;
let base: string;
beforeAll(async () => {
  const app = createApi({
    log: quotingLog(createMemorySagaLog()),
    queue: createMemoryTaskQueue(),
    workflows: staticWorkflows([workflow]),
    clock: systemClock,
    logger,
    newId: () => crypto.randomUUID(),
  });
  server = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

const post = (path: string, body: unknown) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

async function startedRun(): Promise<string> {
  failing = false;
  const res = await post("/v1/runs", { workflow: "payout", input: { card: CARD } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { runId: string }).runId;
}

/** The request fails in the store; returns the one "request failed" line it logged. */
async function failedLine(request: () => Promise<Response>): Promise<string> {
  failing = true;
  lines.length = 0;
  try {
    const res = await request();
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ code: "internal", detail: "internal error" });
  } finally {
    failing = false;
  }
  expect(lines.map((l) => l.message)).toEqual(["request failed"]);
  const error = lines[0]?.error ?? "";
  expect(error).toContain("item rejected");
  return error;
}

describe("a store failure's log line", () => {
  it("masks the input of a run that could not be started", async () => {
    const error = await failedLine(() =>
      post("/v1/runs", { workflow: "payout", input: { card: CARD } }),
    );
    expect(error).toContain(REDACTED);
    expect(error).not.toContain(CARD);
  });

  it("masks the run's input when a cancel cannot be written", async () => {
    const runId = await startedRun();
    const error = await failedLine(() => post(`/v1/runs/${runId}/cancel`, {}));
    expect(error).not.toContain(CARD);
  });

  it("masks the run's input and the signal's sensitive payload when a signal cannot be written", async () => {
    const runId = await startedRun();
    const error = await failedLine(() =>
      post(`/v1/runs/${runId}/signals/approval`, { by: "ops", code: CODE }),
    );
    expect(error).toContain('"by":"ops"');
    expect(error).not.toContain(CARD);
    expect(error).not.toContain(CODE);
  });
});
