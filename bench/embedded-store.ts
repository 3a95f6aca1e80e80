/**
 * `npx tsx bench/embedded-store.ts`: the evidence for the embedded store's engine.
 *
 * For each engine: install size, writes/s of a durable conditional append (one transaction:
 * read the run's head seq, fail unless it is the expected one, insert the event, move the
 * head), and kill -9 durability (a child appends in a loop and prints each acknowledged seq;
 * it is SIGKILLed mid-loop, the database is reopened, and every acknowledged seq must be
 * there with no gap). Then the same figures for the store itself (the SagaLog and TaskQueue
 * adapters on libsql).
 *
 * libsql is the project's dependency. The rejected candidates are measured only when
 * `BENCH_CANDIDATES_DIR` names a folder where they are installed, e.g.
 *   mkdir /tmp/cand && cd /tmp/cand && npm init -y && npm i @electric-sql/pglite@0.5.16 lmdb@3.5.6
 *   BENCH_CANDIDATES_DIR=/tmp/cand npx tsx bench/embedded-store.ts
 * Env: BENCH_EMBEDDED_N (appends per engine, default 1000), BENCH_KILLS (default 3).
 */
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import Database from "libsql";
import { openEmbeddedStore } from "../src/adapters/sqlite/index.js";

const N = Number(process.env.BENCH_EMBEDDED_N ?? 1000);
const KILLS = Number(process.env.BENCH_KILLS ?? 3);
const KILL_AFTER_MS = 300;
const candidatesDir = process.env.BENCH_CANDIDATES_DIR;
const BODY = JSON.stringify({ type: "step_succeeded", stepId: "s", attempt: 1, output: { ok: 1 } });

/** One run's log in a bare engine: the smallest honest model of SagaLog.append. */
interface Conn {
  /** Appends event `expected + 1` if the head is `expected`, durably; throws otherwise. */
  append(expected: number): Promise<void>;
  /** Every stored seq in order, the head, and the engine's own integrity verdict. */
  read(): Promise<{ seqs: number[]; head: number; integrity: string }>;
  close(): Promise<void>;
}
interface Engine {
  name: string;
  /** Where its packages are installed, and the top package (its dependencies are counted). */
  root: string;
  pkg: string;
  open(dir: string): Promise<Conn>;
}

const conflict = (expected: number, head: unknown) =>
  new Error(`head is ${String(head)}, expected ${expected}`);

const libsql: Engine = {
  name: "libsql 0.5.29 (SQLite, WAL, synchronous=FULL)",
  root: process.cwd(),
  pkg: "libsql",
  async open(dir) {
    const db = new Database(join(dir, "bench.db"));
    db.exec("pragma journal_mode = wal; pragma synchronous = full;");
    db.exec(`create table if not exists head (run text primary key, seq integer not null);
      create table if not exists ev (run text, seq integer, body text, primary key (run, seq)) without rowid;
      insert or ignore into head values ('r', 0);`);
    // libsql's get() ignores pluck() and adds a _metadata field: read the column by name.
    const headStmt = db.prepare("select seq from head where run = 'r'");
    const head = () => (headStmt.get() as { seq: number }).seq;
    const insert = db.prepare("insert into ev values ('r', ?, ?)");
    const move = db.prepare("update head set seq = ? where run = 'r'");
    return {
      async append(expected) {
        // BEGIN IMMEDIATE takes the write lock before the read, so the check and the writes
        // are one atomic step even against another process.
        db.exec("begin immediate");
        try {
          const seq = head();
          if (seq !== expected) throw conflict(expected, seq);
          insert.run(expected + 1, BODY);
          move.run(expected + 1);
          db.exec("commit");
        } catch (error) {
          db.exec("rollback");
          throw error;
        }
      },
      async read() {
        const seqs = db.prepare("select seq from ev where run = 'r' order by seq").pluck().all();
        const [integrity] = db.prepare("pragma integrity_check").pluck().all();
        return { seqs: seqs as number[], head: head(), integrity: String(integrity) };
      },
      async close() {
        db.close();
      },
    };
  },
};

interface PGliteLike {
  exec(sql: string): Promise<unknown>;
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  transaction<T>(work: (tx: PGliteLike) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
const pglite = (root: string): Engine => ({
  name: "@electric-sql/pglite 0.5.16 (Postgres 18 in WASM; its build runs with fsync=off)",
  root,
  pkg: "@electric-sql/pglite",
  async open(dir) {
    const { PGlite } = createRequire(join(root, "x.js"))("@electric-sql/pglite") as {
      PGlite: new (dir: string) => PGliteLike;
    };
    const pg = new PGlite(join(dir, "pgdata"));
    await pg.exec(`create table if not exists head (run text primary key, seq int not null);
      create table if not exists ev (run text, seq int, body text, primary key (run, seq));
      insert into head values ('r', 0) on conflict do nothing;`);
    return {
      append: (expected) =>
        pg.transaction(async (tx) => {
          const [row] = (await tx.query<{ seq: number }>("select seq from head for update")).rows;
          if (row?.seq !== expected) throw conflict(expected, row?.seq);
          await tx.query("insert into ev values ('r', $1, $2)", [expected + 1, BODY]);
          await tx.query("update head set seq = $1", [expected + 1]);
        }),
      async read() {
        const seqs = (await pg.query<{ seq: number }>("select seq from ev order by seq")).rows;
        const [row] = (await pg.query<{ seq: number }>("select seq from head")).rows;
        return { seqs: seqs.map((r) => r.seq), head: row?.seq ?? -1, integrity: "ok" };
      },
      close: () => pg.close(),
    };
  },
});

interface LmdbLike {
  get(key: unknown): unknown;
  putSync(key: unknown, value: unknown): void;
  transactionSync<T>(work: () => T): T;
  getKeys(options: { start: unknown; end: unknown }): Iterable<unknown>;
  close(): Promise<void>;
}
const lmdb = (root: string): Engine => ({
  name: "lmdb 3.5.6 (key-value; overlappingSync off, so a commit is flushed before it returns)",
  root,
  pkg: "lmdb",
  async open(dir) {
    const { open } = createRequire(join(root, "x.js"))("lmdb") as {
      open(options: object): LmdbLike;
    };
    const db = open({ path: join(dir, "bench.lmdb"), overlappingSync: false });
    return {
      async append(expected) {
        db.transactionSync(() => {
          const seq = db.get("head") ?? 0;
          if (seq !== expected) throw conflict(expected, seq);
          db.putSync(["ev", expected + 1], BODY);
          db.putSync("head", expected + 1);
        });
      },
      async read() {
        const keys = [...db.getKeys({ start: ["ev", 0], end: ["ev", Number.MAX_SAFE_INTEGER] })];
        const seqs = keys.map((k) => (k as [string, number])[1]);
        return { seqs, head: (db.get("head") as number | undefined) ?? 0, integrity: "ok" };
      },
      close: () => db.close(),
    };
  },
});

const engines: Engine[] = [
  libsql,
  ...(candidatesDir ? [pglite(candidatesDir), lmdb(candidatesDir)] : []),
];

/** Bytes on disk of a package and everything it installed (hoisted npm layout). */
function installedBytes(root: string, pkg: string, seen = new Set<string>()): number {
  const dir = join(root, "node_modules", pkg);
  if (seen.has(pkg) || !existsSync(dir)) return 0;
  seen.add(pkg);
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  const deps = Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies });
  return deps.reduce((sum, dep) => sum + installedBytes(root, dep, seen), folderBytes(dir));
}
function folderBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => {
    const path = join(dir, e.name);
    return sum + (e.isDirectory() ? folderBytes(path) : statSync(path).size);
  }, 0);
}

/** Child mode: append forever, printing each seq once its commit has returned. */
async function appendForever(engine: Engine, dir: string): Promise<never> {
  const conn = await engine.open(dir);
  let { head } = await conn.read();
  process.stdout.write("ready\n"); // stdout to a pipe is synchronous on Linux
  for (;;) {
    await conn.append(head);
    head += 1;
    process.stdout.write(`${head}\n`);
  }
}

/** Kills a child appender `KILLS` times on one database; every acknowledged seq must survive. */
async function killTest(engine: Engine, dir: string): Promise<string> {
  let acked = 0;
  mkdirSync(dir, { recursive: true });
  for (let round = 0; round < KILLS; round++) {
    const script = join(import.meta.dirname, "embedded-store.ts");
    const args = ["--import", "tsx", script, "child", String(engines.indexOf(engine)), dir];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    for await (const line of createInterface({ input: child.stdout })) {
      if (line === "ready") setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
      else acked = Math.max(acked, Number(line));
    }
    await exited;
    const conn = await engine.open(dir);
    const { seqs, head, integrity } = await conn.read();
    await conn.close();
    const dense = seqs.every((seq, i) => seq === i + 1) && seqs.length === head;
    if (!dense || head < acked || integrity !== "ok")
      return `FAILED in round ${round + 1}: acknowledged ${acked}, found head ${head}, ${seqs.length} events, dense=${dense}, integrity=${integrity}`;
  }
  return `${KILLS} kills, ${acked} acknowledged appends, all present, no gap, reopened cleanly`;
}

async function measure(engine: Engine): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "maestro-bench-"));
  try {
    const mb = installedBytes(engine.root, engine.pkg) / 2 ** 20;
    let t = performance.now();
    const conn = await engine.open(dir);
    const openMs = performance.now() - t;
    t = performance.now();
    for (let seq = 0; seq < N; seq++) await conn.append(seq);
    const perSecond = (N / (performance.now() - t)) * 1000;
    await conn.close();
    const disk = folderBytes(dir) / 2 ** 20;
    console.log(engine.name);
    console.log(`  installed: ${mb.toFixed(1)} MB; first open ${openMs.toFixed(0)} ms`);
    console.log(`  durable conditional appends: ${perSecond.toFixed(0)}/s (${N} appends)`);
    console.log(`  on disk after them: ${disk.toFixed(1)} MB`);
    console.log(`  kill -9: ${await killTest(engine, join(dir, "kill"))}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The store itself: SagaLog appends and TaskQueue round trips through the adapters. */
async function measureStore(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "maestro-bench-"));
  const store = openEmbeddedStore(dir);
  try {
    const at = Date.now();
    const run = { runId: "r", workflow: "w", version: "1", correlationId: "r" };
    await store.log.create({ ...run, status: "running", createdAt: at, updatedAt: at }, [
      { type: "run_started", at, ...run, input: {}, deadlineAt: at + 1e9 },
    ]);
    let t = performance.now();
    for (let i = 1; i <= N; i++) {
      await store.log.append("r", i, [
        { type: "step_succeeded", at, stepId: `s${i}`, attempt: 1, startedAt: at, output: {} },
      ]);
    }
    const appendMs = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < N; i++) {
      await store.queue.send([{ task: { kind: "step", runId: "r", stepId: `s${i}`, attempt: 1 } }]);
      const [m] = await store.queue.receive({ max: 1, waitMs: 0 });
      if (m) await store.queue.ack(m.receipt);
    }
    const queueMs = performance.now() - t;
    t = performance.now();
    const loaded = await store.log.load("r");
    const loadMs = performance.now() - t;
    console.log("the embedded store (src/adapters/sqlite), same disk:");
    console.log(`  SagaLog.append: ${((N / appendMs) * 1000).toFixed(0)}/s`);
    console.log(`  TaskQueue send + receive + ack: ${((N / queueMs) * 1000).toFixed(0)}/s`);
    console.log(`  load of a ${loaded?.seq}-event run without a snapshot: ${loadMs.toFixed(1)} ms`);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const [mode, index, childDir] = process.argv.slice(2);
const childEngine = engines[Number(index)];
if (mode === "child" && childEngine && childDir) await appendForever(childEngine, childDir);
else {
  for (const engine of engines) await measure(engine);
  await measureStore();
  if (!candidatesDir) console.log("(set BENCH_CANDIDATES_DIR to compare PGlite and LMDB)");
}
