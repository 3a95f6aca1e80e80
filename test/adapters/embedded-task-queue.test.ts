/**
 * The embedded task queue beyond the shared contract (which test/adapters/sqlite-store.test.ts
 * runs): receivers in one process never share a visible task, a stale receipt's ack leaves
 * the task to its newer receiver, a waiting receive wakes on a send without waiting out the
 * poll, and close() releases waiting receivers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openEmbeddedStore } from "../../src/adapters/sqlite/index.js";
import type { Task } from "../../src/ports/task-queue.js";

let dir: string;
let store: ReturnType<typeof openEmbeddedStore>;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "maestro-queue-"));
  store = openEmbeddedStore(dir);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const step = (stepId: string): Task => ({ kind: "step", runId: "r", stepId, attempt: 1 });

describe("embedded task queue", () => {
  it("never hands one visible task to two concurrent receivers", async () => {
    await store.queue.send(Array.from({ length: 30 }, (_, i) => ({ task: step(`s${i}`) })));
    const batches = await Promise.all(
      Array.from({ length: 6 }, () =>
        store.queue.receive({ max: 10, waitMs: 200, visibilityMs: 60_000 }),
      ),
    );
    const received = batches.flat();
    expect(received).toHaveLength(30);
    expect(new Set(received.map((r) => r.task.stepId)).size).toBe(30);
    expect(new Set(received.map((r) => r.receipt)).size).toBe(30);
  });

  it("ignores the ack of a receipt the task has outlived", async () => {
    await store.queue.send([{ task: step("a") }]);
    const [first] = await store.queue.receive({ max: 1, waitMs: 0, visibilityMs: 0 });
    const [second] = await store.queue.receive({ max: 1, waitMs: 0, visibilityMs: 60_000 });
    expect(second?.receiveCount).toBe(2);

    await store.queue.ack(first?.receipt ?? "");
    expect(store.queue.size()).toBe(1);
    await store.queue.ack(second?.receipt ?? "");
    expect(store.queue.size()).toBe(0);
  });

  it("wakes a waiting receive when a task is sent, before the next poll", async () => {
    const startedAt = Date.now();
    const waiting = store.queue.receive({ max: 1, waitMs: 5_000 });
    await new Promise((r) => setTimeout(r, 20));
    await store.queue.send([{ task: step("now") }]);
    const received = await waiting;
    expect(received.map((r) => r.task.stepId)).toEqual(["now"]);
    // The queue polls every 100 ms; only the wake-up gets the task out well before that.
    expect(Date.now() - startedAt).toBeLessThan(90);
  });

  it("returns nothing to waiting and later receives once closed", async () => {
    const waiting = store.queue.receive({ max: 1, waitMs: 5_000 });
    const startedAt = Date.now();
    store.queue.close();
    expect(await waiting).toEqual([]);
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    await store.queue.send([{ task: step("late") }]);
    expect(await store.queue.receive({ max: 1, waitMs: 1_000 })).toEqual([]);
  });
});
