/**
 * The stores `maestro serve` can run on: `memory` (nothing kept), `embedded` (the default:
 * kept in a data directory across restarts, no external service), or `dynamodb` (the AWS
 * table and SQS queues, for running the server against a deployed environment).
 */
import { createMemorySagaLog } from "../adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../adapters/memory/memory-task-queue.js";
import { createMemoryWorkflowRegistry } from "../adapters/memory/memory-workflow-registry.js";
import type { SealingKeys } from "../adapters/sealing/sealing-keys.js";
import type { SagaLog } from "../ports/saga-log.js";
import type { TaskQueue } from "../ports/task-queue.js";
import type { WorkflowRegistry } from "../ports/workflow-registry.js";

export interface Store {
  readonly kind: string;
  readonly log: SagaLog;
  readonly queue: TaskQueue;
  readonly registry: WorkflowRegistry;
  /** Keys that seal the workflows' sensitive values in the log; none: the log holds them clear. */
  readonly sealing?: SealingKeys;
  /** Tasks waiting, when the store can tell. */
  depth(): Promise<number | undefined>;
  /** Stops handing out tasks (waiting receives return at once), before a shutdown. */
  release(): void;
  close(): Promise<void>;
}

export function memoryStore(): Store {
  const queue = createMemoryTaskQueue();
  return {
    kind: "memory",
    log: createMemorySagaLog(),
    queue,
    registry: createMemoryWorkflowRegistry(),
    depth: async () => queue.size(),
    release: () => queue.close(),
    close: async () => queue.close(),
  };
}

/**
 * The durable default: SQLite in `dir`, kept across restarts, with sensitive values sealed
 * by the key in `MAESTRO_SEALING_KEY` or the directory's own key file.
 */
export async function embeddedStore(
  dir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Store> {
  const { openEmbeddedStore } = await import("../adapters/sqlite/index.js");
  const { localSealingKeys } = await import("./sealing-key.js");
  const store = openEmbeddedStore(dir);
  const sealing = await localSealingKeys(dir, env).catch((error) => {
    store.close();
    throw error;
  });
  // This process owns the store: tasks a previous process had in hand when it died are due now.
  store.queue.releaseInFlight();
  return {
    kind: `embedded (${dir})`,
    log: store.log,
    queue: store.queue,
    registry: store.registry,
    sealing,
    depth: async () => store.queue.size(),
    release: () => store.queue.close(),
    close: async () => store.close(),
  };
}
