export { createSqsBacklogProbe, type SqsBacklogProbeOptions } from "./backlog-probe.js";
export { createTaskQueues, type TaskQueueOptions, type TaskQueues } from "./create-task-queues.js";
export {
  createSqsTaskQueue,
  MAX_DELAY_SECONDS,
  type SqsTaskQueueOptions,
} from "./sqs-task-queue.js";
export { decodeTask, encodeTask } from "./task-codec.js";
