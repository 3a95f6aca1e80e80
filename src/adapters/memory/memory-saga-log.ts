/**
 * A saga log held in process memory: for `maestro execute`, tests and benchmarks. It keeps the
 * same guarantees as the durable stores (optimistic concurrency, atomic create with an
 * idempotency key, snapshot + tail loads), so code tested against it behaves the same on them.
 */
import type { SagaEvent } from "../../engine/events.js";
import type { RunState } from "../../engine/state.js";
import { AppendConflictError } from "../../errors.js";
import { type Clock, systemClock } from "../../ports/clock.js";
import type { LoadedRun, LoggedEvent, RunHeader, RunPage, SagaLog } from "../../ports/saga-log.js";
import { clampLimit, compareHeaders, decodeCursor, encodeCursor } from "../run-list.js";

/** Options for {@link createMemorySagaLog}. */
export interface MemorySagaLogOptions {
  /** Stamps `updatedAt` when `append` is given no `now`. @default systemClock */
  readonly clock?: Clock;
}

interface StoredRun {
  header: RunHeader;
  /** Index i holds the event with seq i + 1. */
  readonly events: LoggedEvent[];
  snapshot?: RunState;
}

/**
 * Creates an empty in-memory saga log.
 *
 * Every method does its checks and writes synchronously, with no `await` in between, so
 * concurrent callers in one process see the same atomicity a conditional write gives in a
 * database. Everything going in and out is copied with `structuredClone`: callers can neither
 * change stored data through objects they passed in nor through objects they got back.
 */
export function createMemorySagaLog(options: MemorySagaLogOptions = {}): SagaLog {
  const clock = options.clock ?? systemClock;
  const runs = new Map<string, StoredRun>();
  const runIdsByKey = new Map<string, string>();

  return {
    async create(header, events, createOptions = {}) {
      const key = createOptions.idempotencyKey ?? header.idempotencyKey;
      if (key !== undefined) {
        const existing = runIdsByKey.get(key);
        if (existing !== undefined) return { created: false, runId: existing };
      }
      if (runs.has(header.runId)) throw new Error(`run ${header.runId} already exists`);
      const stored: RunHeader = structuredClone({
        ...header,
        ...(key !== undefined && { idempotencyKey: key }),
      });
      runs.set(header.runId, { header: stored, events: numbered(events, 1) });
      if (key !== undefined) runIdsByKey.set(key, header.runId);
      return { created: true, runId: header.runId };
    },

    async append(runId, expectedSeq, events, appendOptions = {}) {
      const run = runs.get(runId);
      const head = run?.events.length;
      if (!run || head !== expectedSeq) throw new AppendConflictError(runId, expectedSeq, head);
      const newHead = expectedSeq + events.length;
      const { snapshot, status, version, now } = appendOptions;
      // A snapshot past the head would make loads skip events that were never written.
      if (snapshot && snapshot.seq > newHead) {
        throw new Error(
          `snapshot of run ${runId} is at seq ${snapshot.seq}, past the head ${newHead}`,
        );
      }
      run.events.push(...numbered(events, expectedSeq + 1));
      // An older snapshot than the one kept would only make loads replay more events.
      if (snapshot && snapshot.seq >= (run.snapshot?.seq ?? 0)) {
        run.snapshot = structuredClone(snapshot);
      }
      run.header = {
        ...run.header,
        ...(status !== undefined && { status }),
        ...(version !== undefined && { version }),
        updatedAt: now ?? clock.now(),
      };
    },

    async events(runId, afterSeq) {
      return structuredClone(runs.get(runId)?.events.slice(Math.max(0, afterSeq)) ?? []);
    },

    async load(runId) {
      const run = runs.get(runId);
      if (!run) return undefined;
      const from = run.snapshot?.seq ?? 0;
      const loaded: LoadedRun = {
        header: run.header,
        ...(run.snapshot && { snapshot: run.snapshot }),
        events: run.events.slice(from),
        seq: run.events.length,
      };
      return structuredClone(loaded);
    },

    async list(query) {
      const limit = clampLimit(query.limit);
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const matching = [...runs.values()]
        .map((run) => run.header)
        .filter((h) => query.status === undefined || h.status === query.status)
        .filter((h) => query.workflow === undefined || h.workflow === query.workflow)
        .filter((h) => after === undefined || compareHeaders(h, after) > 0)
        .sort(compareHeaders);
      const runsOnPage = matching.slice(0, limit);
      const last = runsOnPage.at(-1);
      // Only hand out a cursor when more runs match, so the last page has none.
      const page: RunPage = {
        runs: structuredClone(runsOnPage),
        ...(matching.length > limit && last && { cursor: encodeCursor(last) }),
      };
      return page;
    },
  };
}

function numbered(events: readonly SagaEvent[], firstSeq: number): LoggedEvent[] {
  return events.map((event, i) => ({ ...structuredClone(event), seq: firstSeq + i }));
}

/** Where a run sits in a listing: newest first, ties broken by runId (descending). */
