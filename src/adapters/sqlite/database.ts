/**
 * The embedded store's database: SQLite through libsql (its native binary ships as npm
 * platform packages, so nothing is downloaded or compiled at install). One file in the data
 * directory, in WAL mode with synchronous=FULL: a commit is on disk before it returns, so
 * anything acknowledged survives kill -9. Every read-check-write runs inside one
 * synchronous transaction, so no other caller in the process interleaves with it, and
 * BEGIN IMMEDIATE serialises writers from other processes on the same file.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "libsql";

export type Db = InstanceType<typeof Database>;

const SCHEMA = `
create table if not exists runs (
  run_id text primary key,
  workflow text not null,
  version text not null,
  status text not null,
  created_at integer not null,
  updated_at integer not null,
  correlation_id text not null,
  idempotency_key text,
  seq integer not null,
  snapshot text
);
create index if not exists runs_by_status on runs (status, created_at desc, run_id desc);
create index if not exists runs_by_workflow on runs (workflow, created_at desc, run_id desc);
create table if not exists events (
  run_id text not null,
  seq integer not null,
  body text not null,
  primary key (run_id, seq)
) without rowid;
create table if not exists idempotency_keys (key text primary key, run_id text not null) without rowid;
create table if not exists tasks (
  id integer primary key autoincrement,
  body text not null,
  visible_at integer not null,
  receive_count integer not null default 0,
  receipt text
);
create index if not exists tasks_by_visibility on tasks (visible_at, id);
create unique index if not exists tasks_by_receipt on tasks (receipt);
create table if not exists workflows (
  name text not null,
  version text not null,
  source text not null,
  digest text not null,
  created_at integer not null,
  primary key (name, version)
) without rowid;
`;

export function openDatabase(dir: string): Db {
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, "maestro.db"));
  db.exec("pragma journal_mode = wal; pragma synchronous = full; pragma busy_timeout = 5000;");
  db.exec(SCHEMA);
  return db;
}

/** Runs `work` in one write transaction; rolls back if it throws. */
export function inTransaction<T>(db: Db, work: () => T): T {
  db.exec("begin immediate");
  try {
    const result = work();
    db.exec("commit");
    return result;
  } catch (error) {
    db.exec("rollback");
    throw error;
  }
}
