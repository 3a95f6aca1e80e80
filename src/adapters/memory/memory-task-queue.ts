/**
 * A task queue held in process memory, behaving like SQS where it matters to Maestro: delayed
 * delivery, visibility timeouts, receive counts, long polling and at-least-once delivery.
 */
import { MaestroError } from "../../errors.js";
import { type Clock, systemClock } from "../../ports/clock.js";
import type { ReceivedTask, ReceiveOptions, Task, TaskQueue } from "../../ports/task-queue.js";

/** Options for {@link createMemoryTaskQueue}. */
export interface MemoryTaskQueueOptions {
  /** Decides when delays and visibility timeouts end. @default systemClock */
  readonly clock?: Clock;
  /** Visibility timeout for receives that do not give one. @default 30000 */
  readonly defaultVisibilityMs?: number;
}

/** The in-memory queue: a TaskQueue plus what tests and runtimes need around it. */
export interface MemoryTaskQueue extends TaskQueue {
  /** Messages not yet acked, visible or not. */
  size(): number;
  /**
   * Resolves every pending receive with `[]` so that workers can stop promptly. Later receives
   * also return `[]`; sends and acks still work (tasks in hand may finish and be acked).
   */
  close(): void;
}

interface Message {
  readonly task: Task;
  /** Epoch ms (per the clock) from which the message can be received. */
  visibleAt: number;
  receiveCount: number;
  /** The receipt of the latest receive; only it can ack the message. */
  receipt?: string;
  /** Bumped whenever the message moves, so stale heap entries can be told apart. */
  version: number;
}

interface HeapEntry {
  readonly visibleAt: number;
  /** Breaks ties in `visibleAt` by insertion, keeping delivery FIFO. */
  readonly order: number;
  readonly message: Message;
  readonly version: number;
}

interface Waiter {
  readonly max: number;
  readonly visibilityMs: number;
  readonly resolve: (tasks: readonly ReceivedTask[]) => void;
  readonly timer: NodeJS.Timeout;
}

const MAX_RECEIVE = 10;
// setTimeout fires at once for delays past 2^31 - 1 ms; longer waits are re-armed on firing.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Creates an empty in-memory task queue.
 *
 * Long polling uses real timers: a waiting receive is woken when a task is sent, or by one
 * shared timer set for the moment the next hidden message becomes visible.
 *
 * Acking with a stale receipt (the message was received again since) does nothing. SQS only
 * says such an ack "might not" delete the message; here it never does, because a slow worker
 * whose visibility timeout ran out must not delete a message that a newer worker is now
 * handling: a crash of that newer worker would then lose the task. Acking with the latest
 * receipt deletes the message even after its visibility timeout ran out.
 */
export function createMemoryTaskQueue(options: MemoryTaskQueueOptions = {}): MemoryTaskQueue {
  const clock = options.clock ?? systemClock;
  const defaultVisibilityMs = options.defaultVisibilityMs ?? 30_000;
  const heap = createHeap();
  const byReceipt = new Map<string, Message>();
  const waiters: Waiter[] = [];
  let size = 0;
  let order = 0;
  let receipts = 0;
  let wakeTimer: NodeJS.Timeout | undefined;
  let closed = false;

  function schedule(message: Message, visibleAt: number): void {
    message.visibleAt = visibleAt;
    message.version++;
    heap.push({ visibleAt, order: order++, message, version: message.version });
  }

  /** The earliest entry still describing its message; stale ones are dropped on the way. */
  function peekLive(): HeapEntry | undefined {
    for (let top = heap.peek(); top; top = heap.peek()) {
      if (top.version === top.message.version) return top;
      heap.pop();
    }
    return undefined;
  }

  function take(max: number, visibilityMs: number): ReceivedTask[] {
    const now = clock.now();
    const due: Message[] = [];
    for (let top = peekLive(); top && top.visibleAt <= now && due.length < max; top = peekLive()) {
      heap.pop();
      due.push(top.message);
    }
    // Hidden again only after the loop, so a zero visibility timeout cannot hand one message
    // out twice in a single receive.
    return due.map((message) => {
      if (message.receipt !== undefined) byReceipt.delete(message.receipt);
      const receipt = `r${++receipts}`;
      message.receipt = receipt;
      message.receiveCount++;
      byReceipt.set(receipt, message);
      schedule(message, now + Math.max(0, visibilityMs));
      return { task: structuredClone(message.task), receipt, receiveCount: message.receiveCount };
    });
  }

  /** Hands visible messages to waiting receivers, oldest waiter first. */
  function pump(): void {
    while (waiters.length > 0) {
      const waiter = waiters[0] as Waiter;
      const taken = take(waiter.max, waiter.visibilityMs);
      if (taken.length === 0) break;
      waiters.shift();
      clearTimeout(waiter.timer);
      waiter.resolve(taken);
    }
    armWakeTimer();
  }

  function armWakeTimer(): void {
    if (wakeTimer) clearTimeout(wakeTimer);
    wakeTimer = undefined;
    const next = waiters.length > 0 ? peekLive() : undefined;
    if (!next) return;
    // At least 1 ms: with a clock that lags real time, a 0 ms timer would spin.
    const delay = Math.min(MAX_TIMER_MS, Math.max(1, next.visibleAt - clock.now()));
    wakeTimer = setTimeout(pump, delay);
    // The waiters' own timers keep the process alive; this one need not.
    wakeTimer.unref();
  }

  return {
    async send(tasks) {
      const now = clock.now();
      for (const { task, delayMs } of tasks) {
        const message: Message = {
          task: structuredClone(task),
          visibleAt: now,
          receiveCount: 0,
          version: 0,
        };
        schedule(message, now + Math.max(0, delayMs ?? 0));
        size++;
      }
      pump();
    },

    async receive(receiveOptions: ReceiveOptions) {
      const { max, waitMs } = receiveOptions;
      const visibilityMs = receiveOptions.visibilityMs ?? defaultVisibilityMs;
      if (!Number.isInteger(max) || max < 1 || max > MAX_RECEIVE) {
        throw new MaestroError(
          "invalid_argument",
          `max must be an integer from 1 to ${MAX_RECEIVE}, got ${max}`,
        );
      }
      if (closed) {
        // Yield to the event loop first: a worker loop that keeps receiving from a closed
        // queue must not starve the timers and I/O that would tell it to stop.
        await new Promise((resolve) => setImmediate(resolve));
        return [];
      }
      // Earlier waiters are first in line for what is visible now (with a clock that is not
      // real time, a delay can end without the wake timer having fired).
      pump();
      const taken = take(max, visibilityMs);
      if (taken.length > 0 || waitMs <= 0) return taken;
      return new Promise<readonly ReceivedTask[]>((resolve) => {
        const waiter: Waiter = {
          max,
          visibilityMs,
          resolve,
          timer: setTimeout(
            () => {
              const index = waiters.indexOf(waiter);
              if (index >= 0) waiters.splice(index, 1);
              armWakeTimer();
              resolve([]);
            },
            Math.min(MAX_TIMER_MS, waitMs),
          ),
        };
        waiters.push(waiter);
        pump();
      });
    },

    async ack(receipt) {
      const message = byReceipt.get(receipt);
      if (!message) return;
      byReceipt.delete(receipt);
      // Invalidates the message's heap entry, so it is never delivered again.
      message.version++;
      size--;
    },

    size: () => size,

    close() {
      closed = true;
      if (wakeTimer) clearTimeout(wakeTimer);
      wakeTimer = undefined;
      for (const waiter of waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.resolve([]);
      }
    },
  };
}

interface Heap {
  push(entry: HeapEntry): void;
  peek(): HeapEntry | undefined;
  pop(): HeapEntry | undefined;
}

/** A binary min-heap on (visibleAt, order): O(log n) per send and receive however deep the queue. */
function createHeap(): Heap {
  const items: HeapEntry[] = [];
  const less = (i: number, j: number): boolean => {
    const a = items[i] as HeapEntry;
    const b = items[j] as HeapEntry;
    return a.visibleAt < b.visibleAt || (a.visibleAt === b.visibleAt && a.order < b.order);
  };
  const swap = (i: number, j: number): void => {
    const a = items[i] as HeapEntry;
    items[i] = items[j] as HeapEntry;
    items[j] = a;
  };
  return {
    push(entry) {
      items.push(entry);
      let i = items.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!less(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    },
    peek: () => items[0],
    pop() {
      const top = items[0];
      const last = items.pop();
      if (items.length === 0 || last === undefined) return top;
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && less(left, smallest)) smallest = left;
        if (right < items.length && less(right, smallest)) smallest = right;
        if (smallest === i) break;
        swap(i, smallest);
        i = smallest;
      }
      return top;
    },
  };
}
