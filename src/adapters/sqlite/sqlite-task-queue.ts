/**
 * The task queue in the embedded SQLite database: tasks survive a restart with their delays.
 * Receiving claims visible tasks and hides them for the visibility timeout in one
 * transaction, so two receivers never get the same visible task. Waiting receivers are woken
 * at once by a send in this process, and otherwise poll at a short interval (delays ending,
 * another process sending).
 */
import { randomUUID } from "node:crypto";
import { MaestroError } from "../../errors.js";
import { type Clock, systemClock } from "../../ports/clock.js";
import type { ReceivedTask, Task, TaskQueue } from "../../ports/task-queue.js";
import { type Db, inTransaction } from "./database.js";

export interface SqliteTaskQueue extends TaskQueue {
  /** Tasks not yet acked. */
  size(): number;
  /** Releases waiting receivers; later receives return nothing. */
  close(): void;
  /**
   * Makes every received, unacked task visible now. For a process that owns the store and
   * starts again after dying: the tasks it had in hand would otherwise wait out their
   * visibility timeout. Returns how many.
   */
  releaseInFlight(): number;
}

const POLL_MS = 100;

export function createSqliteTaskQueue(
  db: Db,
  options: { clock?: Clock; defaultVisibilityMs?: number } = {},
): SqliteTaskQueue {
  const clock = options.clock ?? systemClock;
  const defaultVisibilityMs = options.defaultVisibilityMs ?? 30_000;
  const insert = db.prepare("insert into tasks (body, visible_at) values (?, ?)");
  const due = db.prepare(
    "select id, body, receive_count from tasks where visible_at <= ? order by visible_at, id limit ?",
  );
  const hide = db.prepare(
    "update tasks set visible_at = ?, receive_count = receive_count + 1, receipt = ? where id = ?",
  );
  const remove = db.prepare("delete from tasks where receipt = ?");
  const count = db.prepare("select count(*) as n from tasks");
  const wakers = new Set<() => void>();
  let closed = false;

  function take(max: number, visibilityMs: number): ReceivedTask[] {
    return inTransaction(db, () => {
      const now = clock.now();
      const rows = due.all(now, max) as { id: number; body: string; receive_count: number }[];
      return rows.map((row) => {
        const receipt = randomUUID();
        hide.run(now + Math.max(0, visibilityMs), receipt, row.id);
        return { task: JSON.parse(row.body) as Task, receipt, receiveCount: row.receive_count + 1 };
      });
    });
  }

  return {
    async send(tasks) {
      const now = clock.now();
      inTransaction(db, () => {
        for (const { task, delayMs } of tasks)
          insert.run(JSON.stringify(task), now + Math.max(0, delayMs ?? 0));
      });
      for (const wake of wakers) wake();
    },

    async receive({ max, waitMs, visibilityMs }) {
      if (!Number.isInteger(max) || max < 1 || max > 10) {
        throw new MaestroError("invalid_argument", "max must be an integer from 1 to 10", {
          retryable: false,
        });
      }
      const until = clock.now() + waitMs;
      for (;;) {
        if (closed) return [];
        const taken = take(max, visibilityMs ?? defaultVisibilityMs);
        if (taken.length > 0) return taken;
        const left = until - clock.now();
        if (left <= 0) return [];
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.min(left, POLL_MS));
          function done() {
            clearTimeout(timer);
            wakers.delete(done);
            resolve();
          }
          wakers.add(done);
        });
      }
    },

    async ack(receipt) {
      // A stale receipt (the task was received again since) matches nothing: the newer
      // receiver keeps the task.
      remove.run(receipt);
    },

    size: () => (count.get() as { n: number }).n,

    releaseInFlight() {
      return db
        .prepare("update tasks set visible_at = ?, receipt = null where receipt is not null")
        .run(clock.now()).changes;
    },

    close() {
      closed = true;
      for (const wake of wakers) wake();
    },
  };
}
