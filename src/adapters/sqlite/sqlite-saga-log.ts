/** The saga log in the embedded SQLite database. Same semantics as every other SagaLog. */

import type { SagaEvent } from "../../engine/events.js";
import type { RunState } from "../../engine/state.js";
import { AppendConflictError } from "../../errors.js";
import { type Clock, systemClock } from "../../ports/clock.js";
import type { LoggedEvent, RunHeader, SagaLog } from "../../ports/saga-log.js";
import { clampLimit, decodeCursor, encodeCursor } from "../run-list.js";
import { type Db, inTransaction } from "./database.js";

interface RunRow {
  run_id: string;
  workflow: string;
  version: string;
  status: RunHeader["status"];
  created_at: number;
  updated_at: number;
  correlation_id: string;
  idempotency_key: string | null;
  seq: number;
  snapshot: string | null;
}

function header(row: RunRow): RunHeader {
  return {
    runId: row.run_id,
    workflow: row.workflow,
    version: row.version,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    correlationId: row.correlation_id,
    ...(row.idempotency_key !== null && { idempotencyKey: row.idempotency_key }),
  };
}

export function createSqliteSagaLog(db: Db, options: { clock?: Clock } = {}): SagaLog {
  const clock = options.clock ?? systemClock;
  const insertEvent = db.prepare("insert into events (run_id, seq, body) values (?, ?, ?)");
  const runById = db.prepare("select * from runs where run_id = ?");
  const eventsAfter = db.prepare(
    "select seq, body from events where run_id = ? and seq > ? order by seq",
  );
  const write = (runId: string, from: number, events: readonly SagaEvent[]) => {
    events.forEach((event, i) => {
      insertEvent.run(runId, from + i, JSON.stringify(event));
    });
  };
  const read = (runId: string, afterSeq: number): LoggedEvent[] =>
    (eventsAfter.all(runId, afterSeq) as { seq: number; body: string }[]).map((r) => ({
      ...(JSON.parse(r.body) as SagaEvent),
      seq: r.seq,
    }));

  return {
    async create(h, events, options = {}) {
      const key = options.idempotencyKey ?? h.idempotencyKey;
      return inTransaction(db, () => {
        if (key !== undefined) {
          const existing = db
            .prepare("select run_id from idempotency_keys where key = ?")
            .get(key) as { run_id: string } | undefined;
          if (existing) return { created: false, runId: existing.run_id };
        }
        if (runById.get(h.runId)) throw new Error(`run ${h.runId} already exists`);
        db.prepare(
          "insert into runs (run_id, workflow, version, status, created_at, updated_at, correlation_id, idempotency_key, seq) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ).run(
          h.runId,
          h.workflow,
          h.version,
          h.status,
          h.createdAt,
          h.updatedAt,
          h.correlationId,
          key ?? null,
          events.length,
        );
        write(h.runId, 1, events);
        if (key !== undefined)
          db.prepare("insert into idempotency_keys (key, run_id) values (?, ?)").run(key, h.runId);
        return { created: true, runId: h.runId };
      });
    },

    async append(runId, expectedSeq, events, options = {}) {
      inTransaction(db, () => {
        const row = runById.get(runId) as RunRow | undefined;
        if (!row || row.seq !== expectedSeq)
          throw new AppendConflictError(runId, expectedSeq, row?.seq);
        write(runId, expectedSeq + 1, events);
        const snapshot: RunState | undefined = options.snapshot;
        db.prepare(
          "update runs set seq = ?, updated_at = ?, status = coalesce(?, status), version = coalesce(?, version), snapshot = coalesce(?, snapshot) where run_id = ?",
        ).run(
          expectedSeq + events.length,
          options.now ?? clock.now(),
          options.status ?? null,
          options.version ?? null,
          snapshot ? JSON.stringify(snapshot) : null,
          runId,
        );
      });
    },

    async load(runId) {
      const row = runById.get(runId) as RunRow | undefined;
      if (!row) return undefined;
      const snapshot = row.snapshot === null ? undefined : (JSON.parse(row.snapshot) as RunState);
      return {
        header: header(row),
        ...(snapshot && { snapshot }),
        events: read(runId, snapshot?.seq ?? 0),
        seq: row.seq,
      };
    },

    async list(query) {
      const limit = clampLimit(query.limit);
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (query.status) {
        where.push("status = ?");
        params.push(query.status);
      }
      if (query.workflow) {
        where.push("workflow = ?");
        params.push(query.workflow);
      }
      if (query.cursor) {
        const after = decodeCursor(query.cursor);
        where.push("(created_at < ? or (created_at = ? and run_id < ?))");
        params.push(after.createdAt, after.createdAt, after.runId);
      }
      const sql = `select * from runs ${where.length ? `where ${where.join(" and ")}` : ""} order by created_at desc, run_id desc limit ?`;
      const rows = db.prepare(sql).all(...params, limit + 1) as RunRow[];
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        runs: page.map(header),
        ...(rows.length > limit && last && { cursor: encodeCursor(header(last)) }),
      };
    },

    events: async (runId, afterSeq) => read(runId, afterSeq),
  };
}
