import { describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import type { SagaEvent } from "../../src/engine/events.js";
import { fold } from "../../src/engine/state.js";
import { MaestroError } from "../../src/errors.js";
import type { RunHeader } from "../../src/ports/saga-log.js";
import { runSagaLogContract } from "../contracts/saga-log-contract.js";

runSagaLogContract("memory", async () => ({ log: createMemorySagaLog() }));

const T0 = 1_700_000_000_000;

function header(runId: string, overrides: Partial<RunHeader> = {}): RunHeader {
  return {
    runId,
    workflow: "checkout",
    version: "1",
    status: "running",
    createdAt: T0,
    updatedAt: T0,
    correlationId: runId,
    ...overrides,
  };
}

function started(runId: string): SagaEvent {
  return {
    type: "run_started",
    at: T0,
    runId,
    workflow: "checkout",
    version: "1",
    input: { cart: { items: ["a"] } },
    correlationId: runId,
    deadlineAt: T0 + 60_000,
  };
}

const succeeded: SagaEvent = {
  type: "step_succeeded",
  at: T0 + 1,
  stepId: "reserve",
  attempt: 1,
  startedAt: T0,
  output: { id: "r-1" },
};

describe("memory saga log", () => {
  it("hands out copies, so callers cannot change what is stored", async () => {
    const log = createMemorySagaLog();
    const events = [started("r1")];
    await log.create(header("r1"), events);
    (events[0] as { input: { cart: { items: string[] } } }).input.cart.items.push("mutated");

    const first = await log.load("r1");
    const event = first?.events[0] as { input: { cart: { items: string[] } } };
    event.input.cart.items.push("mutated too");
    (first?.header as { status: string }).status = "failed";
    const listed = await log.list({});
    (listed.runs[0] as { workflow: string }).workflow = "changed";

    const second = await log.load("r1");
    expect(second?.events[0]).toMatchObject({ input: { cart: { items: ["a"] } } });
    expect(second?.header.status).toBe("running");
    expect((await log.list({})).runs[0]?.workflow).toBe("checkout");
  });

  it("copies snapshots in and out", async () => {
    const log = createMemorySagaLog();
    await log.create(header("r1"), [started("r1")]);
    const snapshot = fold(undefined, [
      { ...started("r1"), seq: 1 },
      { ...succeeded, seq: 2 },
    ]);
    await log.append("r1", 1, [succeeded], { ...(snapshot && { snapshot }) });
    (snapshot as { status: string }).status = "failed";

    const loaded = await log.load("r1");
    expect(loaded?.snapshot).toMatchObject({ seq: 2, status: "running" });
    expect(loaded?.events).toEqual([]);
  });

  it("rejects a snapshot past the head and writes nothing", async () => {
    const log = createMemorySagaLog();
    await log.create(header("r1"), [started("r1")]);
    const snapshot = fold(undefined, [{ ...started("r1"), seq: 5 }]);

    await expect(
      log.append("r1", 1, [succeeded], { ...(snapshot && { snapshot }) }),
    ).rejects.toThrow(/past the head/);
    expect((await log.load("r1"))?.seq).toBe(1);
  });

  it("stamps updatedAt from the clock when append is given no time", async () => {
    const log = createMemorySagaLog({ clock: { now: () => T0 + 42 } });
    await log.create(header("r1"), [started("r1")]);
    await log.append("r1", 1, [succeeded]);
    expect((await log.load("r1"))?.header.updatedAt).toBe(T0 + 42);
  });

  it("indexes an idempotency key given only in the header", async () => {
    const log = createMemorySagaLog();
    await log.create(header("r1", { idempotencyKey: "k" }), [started("r1")]);
    const result = await log.create(header("r2", { idempotencyKey: "k" }), [started("r2")]);
    expect(result).toEqual({ created: false, runId: "r1" });
  });

  it("ends paging with a full page and no cursor when the runs run out", async () => {
    const log = createMemorySagaLog();
    for (let i = 0; i < 25; i++) {
      const runId = `r${String(i).padStart(2, "0")}`;
      await log.create(header(runId, { createdAt: T0 + i }), [started(runId)]);
    }
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await log.list({ limit: 10, ...(cursor !== undefined && { cursor }) });
      sizes.push(page.runs.length);
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(sizes).toEqual([10, 10, 5]);
    expect((await log.list({ limit: 25 })).cursor).toBeUndefined();
    expect((await log.list({})).runs).toHaveLength(25);
    expect((await log.list({ limit: 0 })).runs).toHaveLength(1);
  });

  it("caps the page size at 1000", async () => {
    const log = createMemorySagaLog();
    for (let i = 0; i < 1001; i++) await log.create(header(`r${i}`), []);
    const page = await log.list({ limit: 5000 });
    expect(page.runs).toHaveLength(1000);
    expect(page.cursor).toBeDefined();
    expect(
      (await log.list({ limit: 5000, ...(page.cursor && { cursor: page.cursor }) })).runs,
    ).toHaveLength(1);
    expect((await log.list({})).runs).toHaveLength(50);
  });

  it("does not shift later pages when runs are created while paging", async () => {
    const log = createMemorySagaLog();
    for (let i = 0; i < 4; i++) await log.create(header(`r${i}`, { createdAt: T0 + i }), []);
    const first = await log.list({ limit: 2 });
    await log.create(header("newest", { createdAt: T0 + 100 }), []);
    const second = await log.list({ limit: 2, ...(first.cursor && { cursor: first.cursor }) });
    expect(first.runs.map((r) => r.runId)).toEqual(["r3", "r2"]);
    expect(second.runs.map((r) => r.runId)).toEqual(["r1", "r0"]);
  });

  it("rejects a malformed cursor", async () => {
    const log = createMemorySagaLog();
    await expect(log.list({ cursor: "not a cursor" })).rejects.toBeInstanceOf(MaestroError);
  });
});
