/** The embedded SQLite store: the saga-log and queue contract suites, and reopening. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openEmbeddedStore } from "../../src/adapters/sqlite/index.js";
import { runSagaLogContract } from "../contracts/saga-log-contract.js";
import { runTaskQueueContract } from "../contracts/task-queue-contract.js";

function tempStore() {
  const dir = mkdtempSync(join(tmpdir(), "maestro-sqlite-"));
  const store = openEmbeddedStore(dir);
  return {
    dir,
    store,
    cleanup: async () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

runSagaLogContract("embedded (SQLite)", async () => {
  const { store, cleanup } = tempStore();
  return { log: store.log, cleanup };
});

runTaskQueueContract(
  "embedded (SQLite)",
  async () => {
    const { store, cleanup } = tempStore();
    return { queue: store.queue, cleanup };
  },
  { timeScale: 0.2 },
);

describe("embedded store across restarts", () => {
  it("keeps runs, tasks and definitions when reopened", async () => {
    const { dir, store } = tempStore();
    await store.log.create(
      {
        runId: "r1",
        workflow: "w",
        version: "1",
        status: "running",
        createdAt: 1,
        updatedAt: 1,
        correlationId: "r1",
      },
      [
        {
          type: "run_started",
          at: 1,
          runId: "r1",
          workflow: "w",
          version: "1",
          input: { a: 1 },
          correlationId: "r1",
          deadlineAt: 9,
        },
      ],
    );
    await store.queue.send([
      { task: { kind: "step", runId: "r1", stepId: "a", attempt: 1 }, delayMs: 50 },
    ]);
    await store.registry.register({
      name: "w",
      version: "1.0.0",
      source: "name: w",
      digest: "d",
      createdAt: 1,
    });
    store.close();
    const again = openEmbeddedStore(dir);
    try {
      expect((await again.log.load("r1"))?.events).toHaveLength(1);
      expect(await again.queue.receive({ max: 1, waitMs: 1_000 })).toMatchObject([
        { task: { runId: "r1", stepId: "a" } },
      ]);
      expect(await again.registry.names()).toEqual(["w"]);
    } finally {
      again.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
