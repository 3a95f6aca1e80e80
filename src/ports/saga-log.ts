import type { RunStatus, SagaEvent } from "../engine/events.js";
import type { RunState } from "../engine/state.js";

/** What the run list and the sweeper need without reading a run's log. */
export interface RunHeader {
  readonly runId: string;
  readonly workflow: string;
  readonly version: string;
  readonly status: RunStatus;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly correlationId: string;
  readonly idempotencyKey?: string;
}

/** An event as stored: its position in the run's log is its sequence number (1-based, dense). */
export type LoggedEvent = SagaEvent & { readonly seq: number };

export interface LoadedRun {
  readonly header: RunHeader;
  /** The folded state at `snapshot.seq`, when one was written; events then start after it. */
  readonly snapshot?: RunState;
  /** Events after the snapshot (or all events), in order. */
  readonly events: readonly LoggedEvent[];
  /** The sequence number of the last event: the value to pass as `expectedSeq` to append. */
  readonly seq: number;
}

export interface RunQuery {
  readonly status?: RunStatus;
  readonly workflow?: string;
  /** At most this many runs (default 50, at most 1000). */
  readonly limit?: number;
  /** From a previous page's `cursor`. */
  readonly cursor?: string;
}

export interface RunPage {
  readonly runs: readonly RunHeader[];
  readonly cursor?: string;
}

export interface CreateResult {
  /** True when this call created the run; false when the idempotency key already named one. */
  readonly created: boolean;
  readonly runId: string;
}

/**
 * The durable record of every run: an append-only log of events per run with optimistic
 * concurrency. The log is the source of truth; tasks in queues are only hints.
 */
export interface SagaLog {
  /**
   * Creates a run with its first events. With an idempotency key that already names a run,
   * writes nothing and returns that run's id.
   */
  create(
    header: RunHeader,
    events: readonly SagaEvent[],
    options?: { idempotencyKey?: string },
  ): Promise<CreateResult>;

  /**
   * Appends events after `expectedSeq`. Throws AppendConflictError when the log's head is not
   * `expectedSeq` (another writer appended first): the caller reloads and decides again.
   * `snapshot` (the state after these events) lets later loads skip the events before it;
   * `status` updates the header when the run's status changed, `version` when the run moved
   * to another version of its workflow (a redrive onto a newer definition).
   */
  append(
    runId: string,
    expectedSeq: number,
    events: readonly SagaEvent[],
    options?: { snapshot?: RunState; status?: RunStatus; version?: string; now?: number },
  ): Promise<void>;

  /** Reads the run in one round trip: the latest snapshot and the events after it. */
  load(runId: string): Promise<LoadedRun | undefined>;

  /** Lists runs, newest first. */
  list(query: RunQuery): Promise<RunPage>;

  /**
   * Every event after `afterSeq`, in order: the run's history, for people and streams (the
   * engine never needs it). Optional: a store without it serves no event stream.
   */
  events?(runId: string, afterSeq: number): Promise<readonly LoggedEvent[]>;
}
