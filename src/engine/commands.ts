/**
 * The work a state calls for: which step calls or compensations should run, at which
 * attempt, and not before when. Derived from the state alone, so a worker, the fast path
 * and the sweeper all agree on it, and a task that matches no command is stale.
 */
import type { Task } from "../ports/task-queue.js";
import type { Workflow } from "../workflow/model.js";
import { compensationPlan, depsDone, readyAt } from "./advance.js";
import type { RunState } from "./state.js";

export interface Command {
  readonly kind: "step" | "compensate";
  readonly stepId: string;
  readonly attempt: number;
  /** Epoch ms before which the command must not run (retry backoff, sleep). */
  readonly notBefore: number;
}

export function commandKey(c: { kind: string; stepId?: string; attempt?: number }): string {
  return `${c.kind}:${c.stepId ?? ""}:${c.attempt ?? 0}`;
}

export function commands(workflow: Workflow, state: RunState): Command[] {
  const result: Command[] = [];
  if (state.status === "running") {
    for (const step of workflow.steps) {
      const s = state.steps[step.id];
      const status = s?.status ?? "pending";
      if (status === "waiting") {
        result.push({
          kind: "step",
          stepId: step.id,
          attempt: (s?.attempts ?? 0) + 1,
          notBefore: s?.retryAt ?? 0,
        });
      } else if (status === "pending" && depsDone(step, state) && step.waitFor) {
        // A signal step only needs waking when its timeout passes; the signal itself
        // completes it through the API.
        const timeout = step.waitFor.timeoutMs;
        if (timeout !== undefined) {
          result.push({
            kind: "step",
            stepId: step.id,
            attempt: (s?.attempts ?? 0) + 1,
            notBefore: readyAt(step, state) + timeout,
          });
        }
      } else if (status === "pending" && depsDone(step, state)) {
        const start = readyAt(step, state);
        // A resumed step goes on from its earlier attempts rather than starting at 1.
        result.push({
          kind: "step",
          stepId: step.id,
          attempt: (s?.attempts ?? 0) + 1,
          notBefore: start + (step.sleepMs ?? 0),
        });
      }
    }
  } else if (state.status === "compensating") {
    for (const step of compensationPlan(workflow, state).ready) {
      const c = state.steps[step.id]?.compensation;
      result.push({
        kind: "compensate",
        stepId: step.id,
        attempt: (c?.attempts ?? 0) + 1,
        notBefore: c?.status === "waiting" ? (c.retryAt ?? 0) : 0,
      });
    }
  }
  return result;
}

/** Commands present after a change that were not there before: what the change made runnable. */
export function newCommands(before: readonly Command[], after: readonly Command[]): Command[] {
  const known = new Set(before.map(commandKey));
  return after.filter((c) => !known.has(commandKey(c)));
}

export function toTask(runId: string, command: Command): Task {
  return { kind: command.kind, runId, stepId: command.stepId, attempt: command.attempt };
}
