/**
 * What every TaskQueue must do, written once and run against each implementation (memory,
 * SQS on an emulator, …). Only the port is used, never an implementation's internals.
 * `setup` must give each test an empty queue of its own.
 *
 * Times are real. Delays and visibility timeouts are whole seconds times `timeScale`, because
 * SQS and its emulators only know whole seconds; the memory queue runs the suite scaled down.
 * Timing assertions are one-sided and loose so that a slow machine does not make them flaky.
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ReceivedTask, Task, TaskQueue } from "../../src/ports/task-queue.js";

export interface TaskQueueFixture {
  readonly queue: TaskQueue;
  readonly cleanup?: () => Promise<void>;
}

export interface TaskQueueContractOptions {
  /** Multiplies every delay, visibility timeout and wait (1 = whole seconds). @default 1 */
  readonly timeScale?: number;
}

/** Long enough that nothing received in a test reappears before the test ends. */
const LONG_VISIBILITY_MS = 60_000;

/** Defines the TaskQueue contract suite; `setup` runs before each test. */
export function runTaskQueueContract(
  name: string,
  setup: () => Promise<TaskQueueFixture>,
  options: TaskQueueContractOptions = {},
): void {
  const scale = options.timeScale ?? 1;
  const ms = (seconds: number) => Math.round(seconds * 1000 * scale);

  describe(`TaskQueue contract: ${name}`, () => {
    let fixture: TaskQueueFixture;
    let queue: TaskQueue;

    beforeEach(async () => {
      fixture = await setup();
      queue = fixture.queue;
    });

    afterEach(async () => {
      await fixture.cleanup?.();
    });

    /** Receives until `count` tasks arrived or `timeoutMs` passed; returns what arrived. */
    async function receiveUntil(
      count: number,
      timeoutMs: number,
      visibilityMs = LONG_VISIBILITY_MS,
    ): Promise<ReceivedTask[]> {
      const received: ReceivedTask[] = [];
      const until = Date.now() + timeoutMs;
      while (received.length < count && Date.now() < until) {
        const waitMs = Math.max(1, Math.min(until - Date.now(), ms(1)));
        received.push(...(await queue.receive({ max: 10, waitMs, visibilityMs })));
      }
      return received;
    }

    it("delivers a sent task and forgets it once acked", async () => {
      const task = stepTask("reserve", 1);
      await queue.send([{ task }]);

      const received = await queue.receive({ max: 10, waitMs: ms(2), visibilityMs: ms(1) });

      expect(received).toHaveLength(1);
      expect(received[0]?.task).toEqual(task);
      expect(received[0]?.receiveCount).toBe(1);
      expect(typeof received[0]?.receipt).toBe("string");
      await queue.ack(received[0]?.receipt ?? "");
      // Past the visibility timeout an unacked task would be back; an acked one is gone.
      await sleep(ms(1.5));
      expect(await queue.receive({ max: 10, waitMs: ms(0.5) })).toEqual([]);
    });

    it("keeps the optional fields of every kind of task", async () => {
      const tasks: Task[] = [
        stepTask("charge", 3),
        { kind: "compensate", runId: `run-${randomUUID()}`, stepId: "reserve", attempt: 1 },
        { kind: "wake", runId: `run-${randomUUID()}` },
      ];
      await queue.send(tasks.map((task) => ({ task })));

      const received = await receiveUntil(3, ms(3));

      expect(received.map((r) => r.task)).toEqual(expect.arrayContaining(tasks));
      expect(received).toHaveLength(3);
    });

    it("delivers each of a batch of 25 tasks once when they are acked", async () => {
      const tasks = Array.from({ length: 25 }, (_, i) => stepTask(`step-${i}`, 1));
      await queue.send(tasks.map((task) => ({ task })));

      const received: ReceivedTask[] = [];
      const until = Date.now() + ms(10);
      while (received.length < 25 && Date.now() < until) {
        const batch = await queue.receive({
          max: 10,
          waitMs: ms(1),
          visibilityMs: LONG_VISIBILITY_MS,
        });
        for (const message of batch) await queue.ack(message.receipt);
        received.push(...batch);
      }

      const stepIds = received.map((r) => r.task.stepId);
      expect(new Set(stepIds).size).toBe(stepIds.length);
      expect([...stepIds].sort()).toEqual(tasks.map((t) => t.stepId).sort());
      expect(await queue.receive({ max: 10, waitMs: ms(0.5) })).toEqual([]);
    });

    it("holds a delayed task back until its delay has passed", async () => {
      const delayMs = ms(2);
      const sentAt = Date.now();
      await queue.send([{ task: stepTask("later", 1), delayMs }]);

      expect(await queue.receive({ max: 10, waitMs: 0 })).toEqual([]);
      expect(await queue.receive({ max: 10, waitMs: ms(0.5) })).toEqual([]);
      const received = await receiveUntil(1, delayMs + ms(4));

      expect(received.map((r) => r.task.stepId)).toEqual(["later"]);
      // Not asserting an upper bound: how promptly a delay ends depends on the store.
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(delayMs * 0.9);
    });

    it("delivers an unacked task again after its visibility timeout", async () => {
      const task = stepTask("flaky", 1);
      await queue.send([{ task }]);
      const first = await queue.receive({ max: 10, waitMs: ms(2), visibilityMs: ms(1) });
      expect(first.map((r) => r.receiveCount)).toEqual([1]);

      // Hidden while the visibility timeout runs…
      expect(await queue.receive({ max: 10, waitMs: 0 })).toEqual([]);
      // …and back after it.
      const second = await receiveUntil(1, ms(4), ms(1));

      expect(second).toHaveLength(1);
      expect(second[0]?.task).toEqual(task);
      expect(second[0]?.receiveCount).toBe(2);
      expect(second[0]?.receipt).not.toBe(first[0]?.receipt);
      await queue.ack(second[0]?.receipt ?? "");
    });

    it("accepts acks of unknown receipts", async () => {
      await expect(queue.ack(`unknown-${randomUUID()}`)).resolves.toBeUndefined();
    });

    it("waits about waitMs when nothing is queued and returns nothing", async () => {
      const waitMs = ms(1);
      const startedAt = Date.now();

      const received = await queue.receive({ max: 10, waitMs });

      expect(received).toEqual([]);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(waitMs / 2);
    });

    it("returns at most max tasks per receive", async () => {
      const tasks = Array.from({ length: 7 }, (_, i) => stepTask(`step-${i}`, 1));
      await queue.send(tasks.map((task) => ({ task })));

      const batches: ReceivedTask[][] = [];
      const until = Date.now() + ms(10);
      let total = 0;
      while (total < 7 && Date.now() < until) {
        const batch = await queue.receive({
          max: 3,
          waitMs: ms(1),
          visibilityMs: LONG_VISIBILITY_MS,
        });
        batches.push([...batch]);
        total += batch.length;
      }

      expect(total).toBe(7);
      for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(3);
      const one = await queue.receive({ max: 1, waitMs: 0 });
      expect(one).toEqual([]);
    });
  });
}

function stepTask(stepId: string, attempt: number): Task {
  return { kind: "step", runId: `run-${randomUUID()}`, stepId, attempt };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
