/** Server-sent events of a run's log over real HTTP, live and resumable. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/ports/logger.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { memoryStore } from "../../src/server/stores.js";
import { createFakeServices } from "../helpers/fake-services.js";
import { workflowFrom } from "../helpers/workflows.js";

const workflow = workflowFrom(`
name: three
version: "1.0.0"
services: { svc: { type: http, endpoint: "http://svc" } }
steps:
  - { id: a, service: svc, method: POST /a }
  - { id: b, service: svc, method: POST /b }
  - { id: c, service: svc, method: POST /c }
`);
let server: RunningServer;
const services = createFakeServices();
let release: () => void = () => {};
const gate = new Promise<void>((r) => {
  release = r;
});
services.on("POST /b", async () => {
  await gate;
  return { ok: true, output: {} };
});

beforeAll(async () => {
  server = await startServer({
    port: 0,
    store: memoryStore(),
    caller: services,
    logger: silentLogger,
    workflows: [workflow],
  });
});
afterAll(() => server.close());

async function readSse(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((block) => block.includes("data:"))
    .map((block) => {
      const field = (name: string) =>
        block
          .split("\n")
          .find((l) => l.startsWith(`${name}:`))
          ?.slice(name.length + 1)
          .trim();
      return { id: Number(field("id")), event: field("event") };
    });
}

describe("run event stream", () => {
  it("streams the log live until the run ends, and resumes after Last-Event-ID", async () => {
    const started = await fetch(`${server.url}/v1/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ workflow: "three" }),
    });
    const { runId } = (await started.json()) as { runId: string };
    // Step b is held: the stream is open while the run is still going.
    const live = readSse(`${server.url}/v1/runs/${runId}/events`);
    await new Promise((r) => setTimeout(r, 300));
    release();
    const events = await live;
    expect(events.map((e) => e.event)).toEqual([
      "run_started",
      "step_succeeded",
      "step_succeeded",
      "step_succeeded",
      "run_finished",
    ]);
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4, 5]);
    const resumed = await readSse(`${server.url}/v1/runs/${runId}/events`, {
      "last-event-id": "3",
    });
    expect(resumed.map((e) => e.id)).toEqual([4, 5]);
    expect((await fetch(`${server.url}/v1/runs/nope/events`)).status).toBe(404);
  });
});
