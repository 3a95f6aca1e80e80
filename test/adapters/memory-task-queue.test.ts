import { describe, expect, it } from "vitest";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import type { Task } from "../../src/ports/task-queue.js";
import { runTaskQueueContract } from "../contracts/task-queue-contract.js";

runTaskQueueContract("memory", async () => ({ queue: createMemoryTaskQueue() }), {
  timeScale: 0.2,
});

function task(stepId: string): Task {
  return { kind: "step", runId: "run-1", stepId, attempt: 1 };
}

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe("memory task queue", () => {
  it("releases waiting receivers with [] on close, and later receives return []", async () => {
    const queue = createMemoryTaskQueue();
    const startedAt = Date.now();
    const waiting = Promise.all([
      queue.receive({ max: 1, waitMs: 10_000 }),
      queue.receive({ max: 1, waitMs: 10_000 }),
    ]);
    queue.close();
    expect(await waiting).toEqual([[], []]);
    await queue.send([{ task: task("a") }]);
    expect(await queue.receive({ max: 1, waitMs: 10_000 })).toEqual([]);
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    expect(queue.size()).toBe(1);
  });

  it("wakes a waiting receiver as soon as a task is sent", async () => {
    const queue = createMemoryTaskQueue();
    const startedAt = Date.now();
    const waiting = queue.receive({ max: 10, waitMs: 5_000 });
    setTimeout(() => void queue.send([{ task: task("a") }]), 20);
    const received = await waiting;
    expect(received.map((r) => r.task.stepId)).toEqual(["a"]);
    expect(Date.now() - startedAt).toBeLessThan(1_000);
  });

  it("wakes a waiting receiver when a delay ends", async () => {
    const queue = createMemoryTaskQueue();
    await queue.send([{ task: task("a"), delayMs: 50 }]);
    const startedAt = Date.now();
    const received = await queue.receive({ max: 10, waitMs: 5_000 });
    expect(received.map((r) => r.task.stepId)).toEqual(["a"]);
    expect(Date.now() - startedAt).toBeLessThan(1_000);
  });

  it("serves waiting receivers in the order they came", async () => {
    const queue = createMemoryTaskQueue();
    const first = queue.receive({ max: 10, waitMs: 5_000 });
    const second = queue.receive({ max: 10, waitMs: 5_000 });
    await queue.send([{ task: task("a") }, { task: task("b") }]);
    expect((await first).map((r) => r.task.stepId)).toEqual(["a", "b"]);
    await queue.send([{ task: task("c") }]);
    expect((await second).map((r) => r.task.stepId)).toEqual(["c"]);
  });

  it("delivers in the order tasks became visible, with the injected clock", async () => {
    const clock = manualClock();
    const queue = createMemoryTaskQueue({ clock, defaultVisibilityMs: 1_000 });
    await queue.send([
      { task: task("late"), delayMs: 300 },
      { task: task("now-1") },
      { task: task("soon"), delayMs: 100 },
      { task: task("now-2") },
    ]);
    const ids = async () => (await queue.receive({ max: 10, waitMs: 0 })).map((r) => r.task.stepId);
    expect(await ids()).toEqual(["now-1", "now-2"]);
    clock.advance(99);
    expect(await ids()).toEqual([]);
    clock.advance(1);
    expect(await ids()).toEqual(["soon"]);
    clock.advance(1_000);
    // now-1 and now-2 reappeared at 1000, late became visible at 300, soon reappears at 1100.
    expect(await ids()).toEqual(["late", "now-1", "now-2", "soon"]);
  });

  it("ignores an ack with a stale receipt, so a newer receiver keeps the task", async () => {
    const clock = manualClock();
    const queue = createMemoryTaskQueue({ clock });
    await queue.send([{ task: task("a") }]);
    const [slow] = await queue.receive({ max: 1, waitMs: 0, visibilityMs: 100 });
    clock.advance(100);
    const [fresh] = await queue.receive({ max: 1, waitMs: 0, visibilityMs: 100 });
    expect(fresh?.receiveCount).toBe(2);

    await queue.ack(slow?.receipt ?? "");
    expect(queue.size()).toBe(1);
    clock.advance(100);
    const [third] = await queue.receive({ max: 1, waitMs: 0 });
    expect(third?.receiveCount).toBe(3);

    await queue.ack(third?.receipt ?? "");
    expect(queue.size()).toBe(0);
  });

  it("lets the latest receipt ack even after its visibility timeout ran out", async () => {
    const clock = manualClock();
    const queue = createMemoryTaskQueue({ clock });
    await queue.send([{ task: task("a") }]);
    const [received] = await queue.receive({ max: 1, waitMs: 0, visibilityMs: 100 });
    clock.advance(500);
    await queue.ack(received?.receipt ?? "");
    expect(queue.size()).toBe(0);
    expect(await queue.receive({ max: 1, waitMs: 0 })).toEqual([]);
  });

  it("counts messages until they are acked, visible or not", async () => {
    const queue = createMemoryTaskQueue();
    await queue.send([{ task: task("a") }, { task: task("b"), delayMs: 60_000 }]);
    expect(queue.size()).toBe(2);
    const [received] = await queue.receive({ max: 10, waitMs: 0 });
    expect(queue.size()).toBe(2);
    await queue.ack(received?.receipt ?? "");
    expect(queue.size()).toBe(1);
  });

  it("does not hand a task out twice in one receive with a zero visibility timeout", async () => {
    const queue = createMemoryTaskQueue();
    await queue.send([{ task: task("a") }]);
    const received = await queue.receive({ max: 10, waitMs: 0, visibilityMs: 0 });
    expect(received).toHaveLength(1);
  });

  it("copies tasks, so a sender's later changes do not leak into the queue", async () => {
    const queue = createMemoryTaskQueue();
    const sent = { ...task("a") };
    await queue.send([{ task: sent }]);
    (sent as { stepId: string }).stepId = "changed";
    const [received] = await queue.receive({ max: 1, waitMs: 0 });
    expect(received?.task.stepId).toBe("a");
  });

  it("rejects max outside 1–10", async () => {
    const queue = createMemoryTaskQueue();
    await expect(queue.receive({ max: 0, waitMs: 0 })).rejects.toThrow(/max/);
    await expect(queue.receive({ max: 11, waitMs: 0 })).rejects.toThrow(/max/);
  });
});
