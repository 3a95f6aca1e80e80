/**
 * A workflow's `concurrency` limit end to end: the local runtime with its workers calling a
 * real HTTP service on loopback, which counts how many runs it serves at once. The service
 * holds every call until the test opens its gate, so which runs wait is decided by the limit,
 * not by timing.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryGuardStore } from "../../src/adapters/memory/memory-guard-store.js";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { createHttpCaller } from "../../src/callers/http-caller.js";
import { createLocalRuntime, type LocalRuntime } from "../../src/runtime/local-runtime.js";
import {
  createRunAdmission,
  RUN_SLOT_REASON,
  restoreRunSlots,
} from "../../src/runtime/run-admission.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import type { Workflow } from "../../src/workflow/model.js";
import { workflowFrom } from "../helpers/workflows.js";

/** Runs in progress at the service: from their `/start` call until their `/finish` answered. */
interface Shop {
  readonly url: string;
  readonly seen: string[];
  readonly maxActive: () => number;
  readonly activeKeys: () => string[];
  open(): void;
  close(): Promise<void>;
}

async function startShop(): Promise<Shop> {
  const active = new Map<string, string>();
  const seen: string[] = [];
  let max = 0;
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", async () => {
      const runId = String(req.headers["idempotency-key"] ?? "").split("/")[0] ?? "";
      const input = JSON.parse(body || "{}") as { customer?: string };
      seen.push(`${req.url} ${runId}`);
      if (req.url === "/start") {
        active.set(runId, input.customer ?? "");
        max = Math.max(max, active.size);
      }
      await gate;
      if (req.url === "/finish") active.delete(runId);
      if (req.url === "/start/undo") active.delete(runId);
      const refuse = req.url === "/finish" && input.customer === "bad";
      res.writeHead(refuse ? 400 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify(refuse ? { error: "refused" } : { ok: true }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    maxActive: () => max,
    activeKeys: () => [...active.values()].sort(),
    open: () => release(),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const workflow = (url: string, concurrency: string) =>
  workflowFrom(`
name: checkout
version: "1"
concurrency: ${concurrency}
services: { shop: { type: http, endpoint: "${url}", retry: { max_attempts: 1 } } }
steps:
  - id: start
    service: shop
    method: POST /start
    input: { customer: "{{ .input.customer }}" }
    compensate: { method: POST /start/undo, input: { customer: "{{ .input.customer }}" } }
  - id: finish
    service: shop
    method: POST /finish
    input: { customer: "{{ .input.customer }}" }
`);

let runtime: LocalRuntime | undefined;
let shop: Shop | undefined;
let current: Workflow | undefined;
afterEach(async () => {
  shop?.open();
  await runtime?.stop();
  await shop?.close();
  runtime = undefined;
  shop = undefined;
});

async function setup(concurrency: string, options: { loseReleases?: boolean } = {}) {
  shop = await startShop();
  const real = createRunAdmission({
    store: createMemoryGuardStore(),
    wait: { minMs: 10, maxMs: 40 },
  });
  // A worker that dies after ending a run, before giving its slot back, every time.
  const admission = options.loseReleases ? { ...real, release: async () => {} } : real;
  current = workflow(shop.url, concurrency);
  const log = createMemorySagaLog();
  runtime = createLocalRuntime({
    log,
    queue: createMemoryTaskQueue(),
    caller: createHttpCaller(),
    workflows: staticWorkflows([current]),
    concurrency: 8,
    admission,
  });
  runtime.start();
  return { shop, runtime, log, workflow: current };
}

/** Polls until `check` holds (the test's own deadline bounds it), without asserting on time. */
async function until(check: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 10));
}

async function start(rt: LocalRuntime, customer: unknown) {
  if (!current) throw new Error("setup first");
  return (await rt.startRun({ workflow: current, input: { customer } })).runId;
}

async function waiting(rt: LocalRuntime, runIds: readonly string[]) {
  const states = await Promise.all(runIds.map((id) => rt.getRun(id)));
  return states.filter((s) => s?.admission === "waiting").length;
}

describe("concurrency: maximum concurrent runs of a workflow", () => {
  it("lets at most max runs call services at once; the others wait, then all succeed", async () => {
    const { shop, runtime } = await setup("{ max: 2 }");
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await start(runtime, `c${i}`));
    await until(async () => shop.seen.length === 2 && (await waiting(runtime, ids)) === 4);
    const held = (await Promise.all(ids.map((id) => runtime.getRun(id)))).filter(
      (s) => s?.admission === "waiting",
    );
    // The run's timeline says why it waits, on the step held back.
    expect(held.map((s) => s?.steps.start?.deferredReason)).toEqual(Array(4).fill(RUN_SLOT_REASON));
    shop.open();
    const ended = await Promise.all(ids.map((id) => runtime.waitForRun(id)));
    expect(ended.map((s) => s.status)).toEqual(Array(6).fill("succeeded"));
    expect(shop.maxActive()).toBe(2);
    expect(shop.seen.filter((s) => s.startsWith("/start/undo"))).toEqual([]);
    // Waiting used no attempt: every run's first call was attempt 1.
    expect(ended.map((s) => s.steps.start?.attempts)).toEqual(Array(6).fill(1));
  });

  it("limits per key: different keys run together, the same key waits", async () => {
    const { shop, runtime } = await setup('{ max: 1, key: "{{ .input.customer }}" }');
    const a1 = await start(runtime, "alice");
    const a2 = await start(runtime, "alice");
    const b1 = await start(runtime, "bob");
    await until(async () => shop.seen.length === 2 && (await waiting(runtime, [a2])) === 1);
    expect(shop.activeKeys()).toEqual(["alice", "bob"]);
    expect((await runtime.getRun(a1))?.concurrencyKey).toBe("alice");
    shop.open();
    for (const id of [a1, a2, b1]) expect((await runtime.waitForRun(id)).status).toBe("succeeded");
    expect(shop.maxActive()).toBe(2);
  });

  it("gives the slot back when a run fails and is compensated", async () => {
    const { shop, runtime } = await setup("{ max: 1 }");
    shop.open();
    const bad = await start(runtime, "bad");
    const next = await start(runtime, "good");
    expect((await runtime.waitForRun(bad)).status).toBe("compensated");
    expect((await runtime.waitForRun(next)).status).toBe("succeeded");
    expect(shop.maxActive()).toBe(1);
  });

  it("cancels a waiting run without calling anything, and the others go on", async () => {
    const { shop, runtime } = await setup("{ max: 1 }");
    const first = await start(runtime, "first");
    const second = await start(runtime, "second");
    await until(async () => (await waiting(runtime, [second])) === 1);
    expect((await runtime.cancelRun(second)).status).toBe("cancelled");
    shop.open();
    expect((await runtime.waitForRun(first)).status).toBe("succeeded");
    expect(shop.seen.filter((s) => s.endsWith(second))).toEqual([]);
    const third = await start(runtime, "third");
    expect((await runtime.waitForRun(third)).status).toBe("succeeded");
  });

  it("frees, in the sweeper, the slot of a run that ended without giving it back", async () => {
    const { shop, runtime } = await setup("{ max: 1 }", { loseReleases: true });
    shop.open();
    const first = await start(runtime, "first");
    expect((await runtime.waitForRun(first)).status).toBe("succeeded");
    const second = await start(runtime, "second");
    await until(async () => (await waiting(runtime, [second])) === 1);
    expect((await runtime.getRun(second))?.status).toBe("running");
    await runtime.sweep();
    expect((await runtime.waitForRun(second)).status).toBe("succeeded");
    expect(shop.maxActive()).toBe(1);
  });

  it("after a restart with slots in memory, gives the admitted runs their slots again", async () => {
    const { shop, runtime, log, workflow } = await setup("{ max: 1 }");
    const first = await start(runtime, "first");
    await until(() => shop.seen.length === 1);
    const second = await start(runtime, "second");
    await until(async () => (await waiting(runtime, [second])) === 1);
    // A new process: its slot store starts empty, the log still says who is admitted.
    const fresh = createRunAdmission({ store: createMemoryGuardStore() });
    const workflows = staticWorkflows([workflow]);
    expect(await restoreRunSlots({ log, workflows, admission: fresh })).toBe(1);
    const state = await runtime.getRun(second);
    if (!state) throw new Error("no run");
    expect(await fresh.take(workflow, state)).toMatchObject({ admitted: false });
    shop.open();
    for (const id of [first, second])
      expect((await runtime.waitForRun(id)).status).toBe("succeeded");
  });

  it("fails a run at once whose key cannot be evaluated, with the reason", async () => {
    const { runtime } = await setup('{ max: 1, key: "{{ index .input.ids 5 }}" }');
    const runId = await start(runtime, "anyone");
    const state = await runtime.waitForRun(runId);
    expect(state.status).toBe("failed");
    expect(state.failure?.error.message).toMatch(/^concurrency\.key: /);
    expect(state.steps).toEqual({});
  });
});
