/**
 * A task as an SQS message body: JSON of the task's own fields (ids only, never payloads, so a
 * message stays far below SQS's 256 KB and the log stays the one source of data).
 */
import type { Task } from "../../ports/task-queue.js";

const KINDS: ReadonlySet<string> = new Set<Task["kind"]>(["step", "compensate", "wake"]);

export function encodeTask(task: Task): string {
  const body: Task = {
    kind: task.kind,
    runId: task.runId,
    ...(task.stepId !== undefined && { stepId: task.stepId }),
    ...(task.attempt !== undefined && { attempt: task.attempt }),
  };
  return JSON.stringify(body);
}

/** The task in a message body, or undefined when the body is not one (a poison message). */
export function decodeTask(body: string | undefined): Task | undefined {
  if (body === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const { kind, runId, stepId, attempt } = value as Record<string, unknown>;
  if (typeof kind !== "string" || !KINDS.has(kind)) return undefined;
  if (typeof runId !== "string" || runId === "") return undefined;
  if (stepId !== undefined && typeof stepId !== "string") return undefined;
  if (attempt !== undefined && !(Number.isInteger(attempt) && (attempt as number) >= 1)) {
    return undefined;
  }
  return {
    kind: kind as Task["kind"],
    runId,
    ...(stepId !== undefined && { stepId }),
    ...(attempt !== undefined && { attempt: attempt as number }),
  };
}
