/** `{{ secret "name" }}`: resolved per call, sent to the service, never recorded. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { createLocalSecrets } from "../../src/adapters/secrets/local-secrets.js";
import { createHttpCaller } from "../../src/callers/http-caller.js";
import { main } from "../../src/cli/main.js";
import { createLocalRuntime } from "../../src/runtime/local-runtime.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { loadWorkflow } from "../../src/workflow/load.js";
import { captureIo } from "../helpers/capture-io.js";
import { recordingLog } from "../helpers/recording-log.js";
import { workflowFrom } from "../helpers/workflows.js";

const TOKEN = "tok_9f8e7d6c5b4a";
let server: Server;
let url: string;
const seen: string[] = [];

beforeAll(async () => {
  // A careless service: it echoes the credentials it received in its response.
  server = createServer((req, res) => {
    seen.push(String(req.headers.authorization));
    req.resume();
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ id: "c1", received: req.headers.authorization }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

const yaml = (endpoint: string) => `
name: with_secret
version: "1"
services:
  crm:
    type: http
    endpoint: "${endpoint}"
    headers:
      Authorization: 'Bearer {{ secret "crm-token" }}'
steps:
  - { id: add, service: crm, method: POST /contacts, input: { email: "{{ .input.email }}" }, output: contact }
output:
  echoed: "{{ .contact.received }}"
`;

describe("secrets", () => {
  it("sends the secret and keeps it out of the saga log, the output and the logs", async () => {
    const workflow = workflowFrom(yaml(url));
    const log = recordingLog(createMemorySagaLog());
    const queue = createMemoryTaskQueue();
    const lines: string[] = [];
    const runtime = createLocalRuntime({
      log,
      queue,
      caller: createHttpCaller(),
      workflows: staticWorkflows([workflow]),
      secrets: createLocalSecrets({ env: { MAESTRO_SECRET_CRM_TOKEN: TOKEN } }),
      logger: {
        debug: (m, f) => lines.push(JSON.stringify({ m, f })),
        info: (m, f) => lines.push(JSON.stringify({ m, f })),
        warn: (m, f) => lines.push(JSON.stringify({ m, f })),
        error: (m, f) => lines.push(JSON.stringify({ m, f })),
        child() {
          return this;
        },
      },
    });
    runtime.start();
    try {
      const { runId } = await runtime.startRun({ workflow, input: { email: "a@b.c" } });
      const state = await runtime.waitForRun(runId);
      expect(state.status).toBe("succeeded");
      expect(seen.at(-1)).toBe(`Bearer ${TOKEN}`);
      expect(state.output).toEqual({ echoed: "Bearer [redacted]" });
      expect(JSON.stringify(log.history(runId))).not.toContain(TOKEN);
      expect(lines.join("\n")).not.toContain(TOKEN);
    } finally {
      queue.close();
      await runtime.stop();
    }
  });

  it("fails the step clearly, without calling, when the secret is not set", async () => {
    const before = seen.length;
    const io = captureIo();
    const file = `${process.cwd()}/test/fixtures/with_secret.yaml`;
    const { writeFile, rm } = await import("node:fs/promises");
    await writeFile(file, yaml(url));
    try {
      const code = await main(["execute", file, "--input", '{"email":"x@y.z"}'], io);
      expect(code).toBe(1);
      expect(JSON.parse(io.out.join(""))).toMatchObject({
        status: "failed",
        error: { code: "failed_precondition", message: 'secret "crm-token" is not set' },
      });
      expect(seen.length).toBe(before);
    } finally {
      await rm(file);
    }
  });

  it("is refused by validation outside headers, query and input, and with a name from data", () => {
    const messages = (text: string) => {
      const r = loadWorkflow(text, "w.yaml");
      return r.ok ? [] : r.diagnostics.map((d) => `${d.line}:${d.column}: ${d.message}`);
    };
    const base = `name: w\nversion: "1"\nservices: { s: { type: http, endpoint: "http://s" } }\nsteps:\n`;
    expect(
      messages(`${base}  - { id: a, service: s, method: POST /a, when: '{{ secret "x" }}' }\n`),
    ).toEqual(["5:53: secret may only be used in headers, query and input"]);
    expect(
      messages(`${base}  - { id: a, service: s, method: 'POST /a/{{ secret "x" }}' }\n`),
    ).toEqual(["5:46: secret may only be used in headers, query and input"]);
    expect(
      messages(
        `${base}  - { id: a, service: s, method: POST /a, headers: { X: '{{ secret .input.name }}' } }\n`,
      ),
    ).toEqual(['5:61: secret takes one literal name, e.g. {{ secret "crm-api-key" }}']);
  });
});
