/**
 * `--otel-endpoint` (and the OTEL_EXPORTER_OTLP_* variables): the SDK is registered with an
 * OTLP/HTTP exporter, and a run's spans reach a collector — here a loopback HTTP server
 * that keeps what it is sent.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { createHttpCaller } from "../../src/callers/http-caller.js";
import { UsageError } from "../../src/cli/io.js";
import { startTracing, tracesUrl } from "../../src/cli/tracing-sdk.js";
import { systemClock } from "../../src/ports/clock.js";
import { createLocalRuntime } from "../../src/runtime/local-runtime.js";
import { startRun } from "../../src/runtime/start-run.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { startTraceService, TENANT_SECRET, tracedWorkflow } from "../helpers/trace-service.js";
import { workflowFrom } from "../helpers/workflows.js";

interface Received {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: string;
}

const received: Received[] = [];
let collector: Server;
let collectorUrl: string;

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        path: req.url ?? "",
        contentType: req.headers["content-type"],
        body: Buffer.concat(chunks).toString("utf8"),
      });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => collector.close(() => resolve())));

describe("tracesUrl", () => {
  it("takes the flag, then the traces variable, then the base variable plus /v1/traces", () => {
    expect(tracesUrl(undefined, {})).toBeUndefined();
    expect(tracesUrl(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "" })).toBeUndefined();
    expect(tracesUrl("http://c:4318/", {})).toBe("http://c:4318/v1/traces");
    expect(tracesUrl(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toBe(
      "http://c:4318/v1/traces",
    );
    const traces = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://t:9/custom" };
    expect(tracesUrl(undefined, { ...traces, OTEL_EXPORTER_OTLP_ENDPOINT: "http://c" })).toBe(
      "http://t:9/custom",
    );
    expect(tracesUrl("http://flag:1", traces)).toBe("http://flag:1/v1/traces");
  });

  it("refuses an endpoint that is not a URL before starting anything", async () => {
    await expect(startTracing("not a url", {})).rejects.toBeInstanceOf(UsageError);
    await expect(startTracing(undefined, {})).resolves.toBeUndefined();
  });
});

describe("startTracing", () => {
  it("exports a run's spans to the collector as OTLP/HTTP, named by OTEL_SERVICE_NAME", async () => {
    const tracing = await startTracing(collectorUrl, { OTEL_SERVICE_NAME: "maestro-test" });
    expect(tracing).toBeDefined();
    const service = await startTraceService();
    const workflow = workflowFrom(tracedWorkflow(service.url, "exported"));
    const log = createMemorySagaLog();
    const queue = createMemoryTaskQueue();
    const runtime = createLocalRuntime({
      log,
      queue,
      workflows: staticWorkflows([workflow]),
      caller: createHttpCaller(),
      secrets: { get: async () => TENANT_SECRET },
    });
    runtime.start();
    try {
      const { runId } = await startRun(
        { log, queue, clock: systemClock, newId: () => crypto.randomUUID() },
        { workflow, input: {} },
      );
      expect((await runtime.waitForRun(runId, { timeoutMs: 20_000 })).status).toBe("succeeded");
      await tracing?.shutdown();
      const traceId = service.calls[0]?.traceparent?.split("-")[1];
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      const exported = received.filter((r) => r.path === "/v1/traces");
      expect(exported.length).toBeGreaterThan(0);
      const body = exported.map((r) => r.body).join("\n");
      for (const name of ["run exported", "step reserve", "step charge", "POST"]) {
        expect(body).toContain(`"name":"${name}"`);
      }
      expect(body).toContain(`"traceId":"${traceId}"`);
      expect(body).toContain('"stringValue":"maestro-test"');
      expect(body).toContain(runId);
      expect(body).not.toContain(TENANT_SECRET);
    } finally {
      queue.close();
      await runtime.stop();
      await service.close();
    }
  });
});
