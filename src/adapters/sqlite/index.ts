import type { Clock } from "../../ports/clock.js";
import type { SagaLog } from "../../ports/saga-log.js";
import type { WorkflowRegistry } from "../../ports/workflow-registry.js";
import { openDatabase } from "./database.js";
import { createSqliteSagaLog } from "./sqlite-saga-log.js";
import { createSqliteTaskQueue, type SqliteTaskQueue } from "./sqlite-task-queue.js";
import { createSqliteWorkflowRegistry } from "./sqlite-workflow-registry.js";

export interface EmbeddedStore {
  readonly log: SagaLog;
  readonly queue: SqliteTaskQueue;
  readonly registry: WorkflowRegistry;
  close(): void;
}

/** Opens (or creates) the embedded store in `dir`. */
export function openEmbeddedStore(dir: string, options: { clock?: Clock } = {}): EmbeddedStore {
  const db = openDatabase(dir);
  const queue = createSqliteTaskQueue(db, options);
  return {
    log: createSqliteSagaLog(db, options),
    queue,
    registry: createSqliteWorkflowRegistry(db),
    close() {
      queue.close();
      db.close();
    },
  };
}
