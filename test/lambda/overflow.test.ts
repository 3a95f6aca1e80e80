/**
 * The api function under backlog: with MAESTRO_MAX_BACKLOG it refuses new runs with 429 while
 * the step queue (in fauxqs) holds more tasks than the bound, and /readyz and /metrics show the
 * depth and the bound. Nothing is written for a refused run.
 */
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readConfig } from "../../src/lambda/config.js";
import { dynamodbEndpoint, sqsEndpoint } from "../emulators/endpoints.js";
import { createHarness, type Harness } from "./harness.js";

const dynamodb = dynamodbEndpoint();
const endpoints = () => ({ dynamodb: dynamodb as string, sqs: sqsEndpoint() });
const hello = { workflow: "hello_world", input: { name: "Ada" } };

/** Puts `n` tasks on the step queue that no worker drains. */
async function fillStepQueue(h: Harness, n: number) {
  for (let i = 0; i < n; i += 10) {
    const entries = Array.from({ length: Math.min(10, n - i) }, (_, k) => ({
      Id: String(k),
      MessageBody: JSON.stringify({ waiting: i + k }),
    }));
    await h.sqs.send(new SendMessageBatchCommand({ QueueUrl: h.queues.step, Entries: entries }));
  }
}

afterEach(() => vi.restoreAllMocks());

describe.skipIf(!dynamodb)("the api's backlog bound", () => {
  it("starts runs while the step queue is within the bound, and shows depth and bound", async () => {
    const h = await createHarness(endpoints(), {}, { maxBacklog: 3 });
    const started = await h.api("POST", "/v1/runs", hello);
    expect(started.status).toBe(201);

    const ready = await h.api("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toContainEqual({ name: "store", ok: true });
    expect(ready.body.checks).toContainEqual({
      name: "queue",
      ok: true,
      depth: expect.any(Number),
      bound: 3,
      overflowing: false,
    });
    const metrics = await h.api("GET", "/metrics");
    expect(metrics.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.body).toMatch(/^maestro_backlog_bound 3$/m);
    expect(metrics.body).toMatch(/^maestro_queue_depth [0-3]$/m);
    expect(metrics.body).not.toContain("maestro_runs_refused_total");
  });

  it("refuses new runs with 429 and Retry-After past the bound, writing nothing", async () => {
    const h = await createHarness(endpoints(), {}, { maxBacklog: 3 });
    await fillStepQueue(h, 12);
    const stdout = vi.spyOn(process.stdout, "write");

    const refused = await h.api("POST", "/v1/runs", hello);
    expect(refused.status).toBe(429);
    expect(refused.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 429, code: "overloaded" });
    expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect((await h.deps.log.list({ limit: 10 })).runs).toEqual([]);

    // The refusal is an EMF metric, flushed at the end of the invocation.
    const emf = stdout.mock.calls
      .map(([chunk]) => String(chunk))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(emf.some((m) => m.RunsRefused === 1)).toBe(true);

    // Still ready (it serves reads, cancels, signals), and says it is overflowing.
    const ready = await h.api("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toContainEqual({
      name: "queue",
      ok: true,
      depth: 12,
      bound: 3,
      overflowing: true,
    });
    const metrics = await h.api("GET", "/metrics");
    expect(metrics.body).toMatch(/^maestro_queue_depth 12$/m);
    expect(metrics.body).toMatch(/^maestro_runs_refused_total\{reason="overloaded"\} 1$/m);
  });

  it("has no bound unless one is configured, but still reports the depth", async () => {
    const h = await createHarness(endpoints());
    await fillStepQueue(h, 12);
    expect((await h.api("POST", "/v1/runs", hello)).status).toBe(201);
    const ready = await h.api("GET", "/readyz");
    expect(ready.body.checks).toContainEqual({ name: "queue", ok: true, depth: 13 });
    const metrics = await h.api("GET", "/metrics");
    expect(metrics.body).toMatch(/^maestro_queue_depth 13$/m);
    expect(metrics.body).not.toContain("maestro_backlog_bound");
  });

  it("is not ready when the step queue cannot be asked", async () => {
    const h = await createHarness(endpoints());
    const broken = await createHarness(endpoints(), {
      config: { ...h.deps.config, stepQueueUrl: `${h.queues.step}-gone` },
    });
    const ready = await broken.api("GET", "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toContainEqual({
      name: "queue",
      ok: false,
      error: "queue depth unknown",
    });
  });
});

describe("MAESTRO_MAX_BACKLOG", () => {
  const env = {
    MAESTRO_TABLE_NAME: "t",
    MAESTRO_STEP_QUEUE_URL: "s",
    MAESTRO_COMPENSATION_QUEUE_URL: "c",
  };
  it("is a positive integer, or absent", () => {
    expect(readConfig({ ...env, MAESTRO_MAX_BACKLOG: "5000" }).maxBacklog).toBe(5000);
    expect(readConfig(env).maxBacklog).toBeUndefined();
    for (const bad of ["lots", "0", "-1", "2.5", "1e3"]) {
      expect(() => readConfig({ ...env, MAESTRO_MAX_BACKLOG: bad }), bad).toThrow(
        `environment variable MAESTRO_MAX_BACKLOG must be a positive integer, got "${bad}"`,
      );
    }
  });
});
