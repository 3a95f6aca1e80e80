import type { LoggedEvent, SagaLog } from "../../src/ports/saga-log.js";

/** Wraps a saga log and keeps every event that was durably appended, per run, in order. */
export function recordingLog(inner: SagaLog): SagaLog & { history(runId: string): LoggedEvent[] } {
  const all = new Map<string, LoggedEvent[]>();
  const keep = (runId: string, fromSeq: number, events: readonly object[]) => {
    const list = all.get(runId) ?? [];
    for (const [i, e] of events.entries()) list.push({ ...(e as LoggedEvent), seq: fromSeq + i });
    all.set(runId, list);
  };
  return {
    async create(header, events, options) {
      const result = await inner.create(header, events, options);
      if (result.created) keep(header.runId, 1, events);
      return result;
    },
    async append(runId, expectedSeq, events, options) {
      await inner.append(runId, expectedSeq, events, options);
      keep(runId, expectedSeq + 1, events);
    },
    load: (runId) => inner.load(runId),
    list: (query) => inner.list(query),
    ...(inner.events && { events: inner.events.bind(inner) }),
    history: (runId) => all.get(runId) ?? [],
  };
}
