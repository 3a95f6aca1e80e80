/**
 * `npx tsx bench/embedded-store.ts`: appends/s and task sends+receives/s of the embedded
 * SQLite store (durable commits: WAL, synchronous=FULL), on this machine's disk.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openEmbeddedStore } from "../src/adapters/sqlite/index.js";

const N = Number(process.env.BENCH_EMBEDDED_N ?? 2000);
const dir = mkdtempSync(join(tmpdir(), "maestro-bench-"));
const store = openEmbeddedStore(dir);
try {
  const at = Date.now();
  await store.log.create(
    {
      runId: "r",
      workflow: "w",
      version: "1",
      status: "running",
      createdAt: at,
      updatedAt: at,
      correlationId: "r",
    },
    [
      {
        type: "run_started",
        at,
        runId: "r",
        workflow: "w",
        version: "1",
        input: {},
        correlationId: "r",
        deadlineAt: at + 1e9,
      },
    ],
  );
  let t = performance.now();
  for (let i = 1; i <= N; i++) {
    await store.log.append("r", i, [
      {
        type: "step_succeeded",
        at,
        stepId: `s${i}`,
        attempt: 1,
        startedAt: at,
        output: { id: i, ok: true },
      },
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
  console.log(`embedded store (SQLite via libsql, WAL, synchronous=FULL), ${N} operations each:`);
  console.log(`  durable appends: ${((N / appendMs) * 1000).toFixed(0)}/s`);
  console.log(`  task send + receive + ack: ${((N / queueMs) * 1000).toFixed(0)}/s`);
  console.log(`  load of a ${loaded?.seq}-event run without a snapshot: ${loadMs.toFixed(1)} ms`);
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
