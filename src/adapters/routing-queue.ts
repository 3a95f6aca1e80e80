import type { Task, TaskSender } from "../ports/task-queue.js";

/**
 * Sends each task to the queue for its kind: on AWS, step tasks and compensation tasks go
 * to different queues so that a backlog of one never delays the other, and each has its
 * own consumer, DLQ and alarms.
 */
export function routeByKind(queues: Readonly<Record<Task["kind"], TaskSender>>): TaskSender {
  return {
    async send(tasks) {
      const byQueue = new Map<TaskSender, (typeof tasks)[number][]>();
      for (const outgoing of tasks) {
        const queue = queues[outgoing.task.kind];
        byQueue.set(queue, [...(byQueue.get(queue) ?? []), outgoing]);
      }
      await Promise.all([...byQueue].map(([queue, list]) => queue.send(list)));
    },
  };
}
