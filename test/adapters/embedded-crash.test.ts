/**
 * The embedded store under kill -9: a child process appends to a run and sends tasks in a
 * loop and is killed with SIGKILL mid-loop, twice on the same directory. Every append and
 * send it acknowledged must be there when the store is reopened, the log dense and the
 * database intact. (`maestro serve` across kill -9 is test/server/restart.test.ts.)
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/adapters/sqlite/database.js";
import { openEmbeddedStore } from "../../src/adapters/sqlite/index.js";

const KILL_AFTER_MS = 300;
const appender = join(import.meta.dirname, "fixtures", "embedded-appender.ts");
const dir = mkdtempSync(join(tmpdir(), "maestro-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the appender until SIGKILL; returns the last acknowledged seq and acknowledged tasks. */
async function appendUntilKilled(): Promise<{ seq: number; tasks: string[]; signal: unknown }> {
  const child = spawn(process.execPath, ["--import", "tsx", appender, dir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
  let seq = 0;
  const tasks: string[] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    const [what, value = ""] = line.split(" ");
    if (what === "ready") setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
    else if (what === "log") seq = Number(value);
    else if (what === "task") tasks.push(value);
  }
  const signal = await exited;
  if (signal !== "SIGKILL") throw new Error(`appender ended by ${String(signal)}: ${stderr}`);
  return { seq, tasks, signal };
}

describe("embedded store killed with SIGKILL", () => {
  it("keeps every acknowledged append and send, twice over", async () => {
    let before = 0;
    for (let round = 1; round <= 2; round++) {
      const acked = await appendUntilKilled();
      // The kill landed in the middle of the loop, not before it started.
      expect(acked.seq).toBeGreaterThan(before + 10);

      const db = openDatabase(dir);
      expect(db.prepare("pragma integrity_check").pluck().all()).toEqual(["ok"]);
      db.close();
      const store = openEmbeddedStore(dir);
      try {
        const run = await store.log.load("r");
        // Dense from 1, the head where the last event is, nothing acknowledged missing, and
        // at most the one append that was in flight at the kill beyond it.
        expect(run?.events.map((e) => e.seq)).toEqual(
          Array.from({ length: run?.seq ?? 0 }, (_, i) => i + 1),
        );
        expect(run?.seq).toBeGreaterThanOrEqual(acked.seq);
        expect(run?.seq).toBeLessThanOrEqual(acked.seq + 1);
        before = run?.seq ?? 0;

        const queued = new Set<string>();
        for (;;) {
          const batch = await store.queue.receive({ max: 10, waitMs: 0, visibilityMs: 0 });
          for (const m of batch) {
            queued.add(m.task.stepId ?? "");
            await store.queue.ack(m.receipt);
          }
          if (batch.length === 0) break;
        }
        expect(acked.tasks.filter((stepId) => !queued.has(stepId))).toEqual([]);
      } finally {
        store.close();
      }
    }
  });
});
