/** A hint that a run has work to do. Carries ids only, never payloads: the log has the data. */
export interface Task {
  readonly kind: "step" | "compensate" | "wake";
  readonly runId: string;
  readonly stepId?: string;
  readonly attempt?: number;
}

export interface OutgoingTask {
  readonly task: Task;
  /** Deliver no earlier than this many milliseconds from now (retry backoff, sleeps). */
  readonly delayMs?: number;
}

export interface ReceivedTask {
  readonly task: Task;
  /** Opaque handle for ack. */
  readonly receipt: string;
  /** How many times this message has been received, this time included. */
  readonly receiveCount: number;
}

export interface ReceiveOptions {
  /** At most this many tasks (1–10). */
  readonly max: number;
  /** Wait up to this long for a first task (long polling). */
  readonly waitMs: number;
  /** Hide received tasks from other receivers this long; unacked tasks then reappear. */
  readonly visibilityMs?: number;
}

/** What producers of tasks need: on Lambda, tasks are received by the event source, not by us. */
export interface TaskSender {
  send(tasks: readonly OutgoingTask[]): Promise<void>;
}

/** A queue of tasks with at-least-once delivery. Duplicates and reordering are allowed. */
export interface TaskQueue extends TaskSender {
  receive(options: ReceiveOptions): Promise<readonly ReceivedTask[]>;
  /** Deletes a received task; acking an unknown or expired receipt is not an error. */
  ack(receipt: string): Promise<void>;
}
