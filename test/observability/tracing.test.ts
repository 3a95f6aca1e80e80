/**
 * OpenTelemetry spans with an SDK registered (as `--otel-endpoint` does): a run started over
 * HTTP with a `traceparent` is one trace — run → step attempt → client call — and each
 * service call carries the `traceparent` of its client span. Real HTTP on loopback.
 */
import type { AddressInfo } from "node:net";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { type ServerType, serve } from "@hono/node-server";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { createMemoryWorkflowRegistry } from "../../src/adapters/memory/memory-workflow-registry.js";
import { createApi } from "../../src/api/app.js";
import { createHttpCaller } from "../../src/callers/http-caller.js";
import { RunService } from "../../src/gen/maestro/v1/runs_pb.js";
import { systemClock } from "../../src/ports/clock.js";
import { silentLogger } from "../../src/ports/logger.js";
import { createLocalRuntime, type LocalRuntime } from "../../src/runtime/local-runtime.js";
import { registryCatalog } from "../../src/runtime/registry-catalog.js";
import {
  startTraceService,
  TENANT_SECRET,
  type TraceService,
  tracedWorkflow,
} from "../helpers/trace-service.js";

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();

const log = createMemorySagaLog();
const queue = createMemoryTaskQueue();
let service: TraceService;
let runtime: LocalRuntime;
let api: ServerType;
let base: string;

const INCOMING_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const INCOMING_SPAN = "00f067aa0ba902b7";

beforeAll(async () => {
  service = await startTraceService({ "/charge": 1 });
  const registry = createMemoryWorkflowRegistry();
  const workflows = registryCatalog(registry);
  runtime = createLocalRuntime({
    log,
    queue,
    workflows,
    caller: createHttpCaller(),
    secrets: { get: async (name) => (name === "tenant" ? TENANT_SECRET : undefined) },
  });
  runtime.start();
  const app = createApi({
    log,
    queue,
    workflows,
    registry,
    clock: systemClock,
    logger: silentLogger,
    newId: () => crypto.randomUUID(),
  });
  api = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  const put = await fetch(`${base}/v1/workflows/traced/versions/1.0.0`, {
    method: "PUT",
    body: tracedWorkflow(service.url),
  });
  expect(put.status, await put.clone().text()).toBe(201);
});
afterAll(async () => {
  queue.close();
  await runtime.stop();
  await new Promise((r) => api.close(r));
  await service.close();
  await provider.shutdown();
});
beforeEach(() => exporter.reset());

async function startRun(headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${base}/v1/runs`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ workflow: "traced", input: {} }),
  });
  expect(res.status).toBe(201);
  const { runId } = (await res.json()) as { runId: string };
  expect((await runtime.waitForRun(runId, { timeoutMs: 20_000 })).status).toBe("succeeded");
  return runId;
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const named = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);

describe("tracing with an SDK registered", () => {
  it("makes one trace per run under the caller's traceparent: run, attempts, calls", async () => {
    const runId = await startRun({
      traceparent: `00-${INCOMING_TRACE}-${INCOMING_SPAN}-01`,
      tracestate: "vendor=abc",
    });
    const spans = exporter.getFinishedSpans();
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([INCOMING_TRACE]));

    const [run] = named("run traced");
    expect(run).toBeDefined();
    expect(parentOf(run as ReadableSpan)).toBe(INCOMING_SPAN);
    expect(run?.attributes).toMatchObject({ "maestro.run.id": runId, "maestro.run.created": true });
    const runSpanId = run?.spanContext().spanId;

    // The run's trace context is in its log, so any worker anywhere continues the trace.
    const events = (await log.events?.(runId, 0)) ?? [];
    const started = events.find((e) => e.type === "run_started");
    expect(started).toMatchObject({
      trace: { traceparent: `00-${INCOMING_TRACE}-${runSpanId}-01`, tracestate: "vendor=abc" },
    });

    const reserve = named("step reserve");
    const charge = named("step charge");
    expect(reserve).toHaveLength(1);
    expect(charge.map((s) => s.attributes["maestro.step.attempt"])).toEqual([1, 2]);
    for (const attempt of [...reserve, ...charge]) {
      expect(parentOf(attempt)).toBe(runSpanId);
      expect(attempt.attributes).toMatchObject({
        "maestro.run.id": runId,
        "maestro.step.kind": "step",
      });
    }
    const [failed, succeeded] = charge;
    expect(failed?.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed?.attributes["error.type"]).toBe("unavailable");
    expect(succeeded?.status.code).not.toBe(SpanStatusCode.ERROR);

    // One client span per call, child of its attempt; the service saw that span as parent.
    const clients = spans.filter((s) => s.kind === SpanKind.CLIENT);
    expect(clients).toHaveLength(3);
    const attempts = [...reserve, ...charge].map((s) => s.spanContext().spanId);
    expect(clients.map(parentOf).sort()).toEqual([...attempts].sort());
    const seen = service.calls.map((c) => c.traceparent);
    expect(seen.sort()).toEqual(
      clients.map((c) => `00-${INCOMING_TRACE}-${c.spanContext().spanId}-01`).sort(),
    );
    expect(service.calls.map((c) => c.tracestate)).toEqual([
      "vendor=abc",
      "vendor=abc",
      "vendor=abc",
    ]);
    const chargeCall = clients.find((c) => c.attributes["url.full"] === `${service.url}/charge`);
    expect(chargeCall?.attributes).toMatchObject({
      "http.request.method": "POST",
      "server.address": "127.0.0.1",
      "maestro.service.name": "pay",
    });
    expect(clients.map((c) => c.attributes["http.response.status_code"]).sort()).toEqual([
      200, 200, 503,
    ]);
  });

  it("keeps the secrets out of every span: the query is not recorded, echoes are redacted", async () => {
    await startRun();
    const spans = exporter.getFinishedSpans();
    const reserveCall = spans.find(
      (s) =>
        s.kind === SpanKind.CLIENT &&
        parentOf(s) === named("step reserve")[0]?.spanContext().spanId,
    );
    expect(reserveCall?.attributes["url.full"]).toBe(`${service.url}/reserve`);
    const [failedCall] = spans.filter((s) => s.attributes["http.response.status_code"] === 503);
    expect(failedCall?.status).toMatchObject({ code: SpanStatusCode.ERROR });
    expect(failedCall?.status.message).toBe(
      `unavailable: POST ${service.url}/charge: 503 busy for key [redacted]`,
    );
    const everything = JSON.stringify(
      spans.map((s) => ({
        name: s.name,
        attributes: s.attributes,
        status: s.status,
        events: s.events,
      })),
    );
    expect(everything).not.toContain(TENANT_SECRET);
  });

  it("starts a new trace rooted at the run when the request has no traceparent", async () => {
    await startRun();
    const [run] = named("run traced");
    expect(parentOf(run as ReadableSpan)).toBeUndefined();
    const traceIds = new Set(exporter.getFinishedSpans().map((s) => s.spanContext().traceId));
    expect(traceIds).toEqual(new Set([run?.spanContext().traceId]));
  });

  it("parents the run on the traceparent of a Connect StartRun call too", async () => {
    const client = createClient(
      RunService,
      createConnectTransport({ baseUrl: base, httpVersion: "1.1" }),
    );
    const { run } = await client.startRun(
      { workflow: "traced" },
      { headers: { traceparent: `00-${INCOMING_TRACE}-${INCOMING_SPAN}-01` } },
    );
    const runId = run?.id ?? "";
    expect((await runtime.waitForRun(runId, { timeoutMs: 20_000 })).status).toBe("succeeded");
    const [started] = named("run traced");
    expect(started?.attributes["maestro.run.id"]).toBe(runId);
    expect(parentOf(started as ReadableSpan)).toBe(INCOMING_SPAN);
    expect(started?.spanContext().traceId).toBe(INCOMING_TRACE);
  });

  it("ignores a malformed traceparent instead of refusing the run", async () => {
    await startRun({ traceparent: "00-zz-not-a-trace" });
    const [run] = named("run traced");
    expect(parentOf(run as ReadableSpan)).toBeUndefined();
  });
});
