/**
 * Loading a run and writing to its log, with the retry-on-conflict loop that makes every
 * outcome land exactly once whatever the other workers do.
 */

import { advance } from "../engine/advance.js";
import { type Command, commands, newCommands } from "../engine/commands.js";
import type { SagaEvent } from "../engine/events.js";
import { fold, type RunState } from "../engine/state.js";
import { AppendConflictError } from "../errors.js";
import type { SagaLog } from "../ports/saga-log.js";
import type { Workflow } from "../workflow/model.js";
import type { WorkflowSource } from "./workflow-source.js";

/** Events between snapshots: bounds what a load reads, whatever the run's length. */
export const SNAPSHOT_EVERY = 16;

export interface LoadedContext {
  readonly workflow: Workflow;
  readonly state: RunState;
  /** Events since the last snapshot: when it reaches SNAPSHOT_EVERY, the next append snapshots. */
  readonly sinceSnapshot: number;
}

export class MissingRunError extends Error {
  override readonly name = "MissingRunError";
}

export async function loadRun(
  log: SagaLog,
  workflows: WorkflowSource,
  runId: string,
): Promise<LoadedContext> {
  const loaded = await log.load(runId);
  if (!loaded) throw new MissingRunError(`run ${runId} not found`);
  const state = fold(loaded.snapshot, loaded.events);
  if (!state) throw new MissingRunError(`run ${runId} has no events`);
  const workflow = await workflows.get(state.workflow, state.version);
  if (!workflow)
    throw new MissingRunError(
      `workflow ${state.workflow}@${state.version} of run ${runId} not found`,
    );
  return { workflow, state, sinceSnapshot: loaded.events.length };
}

/** Appends events decided from `ctx.state`; throws AppendConflictError if the log moved. */
export async function appendEvents(
  log: SagaLog,
  ctx: LoadedContext,
  events: readonly SagaEvent[],
  next: RunState,
  now: number,
  workflow: Workflow = ctx.workflow,
): Promise<LoadedContext> {
  const snapshotDue = ctx.sinceSnapshot + events.length >= SNAPSHOT_EVERY;
  await log.append(ctx.state.runId, ctx.state.seq, events, {
    now,
    ...(snapshotDue && { snapshot: next }),
    ...(next.status !== ctx.state.status && { status: next.status }),
    ...(next.version !== ctx.state.version && { version: next.version }),
  });
  return {
    workflow,
    state: next,
    sinceSnapshot: snapshotDue ? 0 : ctx.sinceSnapshot + events.length,
  };
}

export interface Recorded {
  readonly ctx: LoadedContext;
  /** Commands the write made runnable (none if the decision was stale). */
  readonly fresh: readonly Command[];
  /** Whether this writer's events landed. */
  readonly wrote: boolean;
}

/** What a decision appends, and the definition the run follows afterwards if it changed. */
export interface Decision {
  readonly events: SagaEvent[];
  readonly state: RunState;
  readonly workflow?: Workflow;
}

/**
 * Decides from the current state and appends; on a conflict reloads and decides again.
 * `decide` returns no events when, given the fresh state, there is nothing to write.
 */
export async function record(
  log: SagaLog,
  workflows: WorkflowSource,
  start: LoadedContext,
  decide: (workflow: Workflow, state: RunState) => Decision,
  now: () => number,
  maxConflicts = 50,
): Promise<Recorded> {
  let ctx = start;
  for (let conflicts = 0; ; conflicts++) {
    const decision = decide(ctx.workflow, ctx.state);
    if (decision.events.length === 0) return { ctx, fresh: [], wrote: false };
    try {
      const before = commands(ctx.workflow, ctx.state);
      const next = await appendEvents(
        log,
        ctx,
        decision.events,
        decision.state,
        now(),
        decision.workflow,
      );
      const fresh = newCommands(before, commands(next.workflow, next.state));
      return { ctx: next, fresh, wrote: true };
    } catch (error) {
      if (!(error instanceof AppendConflictError) || conflicts >= maxConflicts) throw error;
      ctx = await loadRun(log, workflows, start.state.runId);
    }
  }
}

/** Appends whatever follows from the state by itself (conditions, deadline, completion). */
export function settle(
  log: SagaLog,
  workflows: WorkflowSource,
  ctx: LoadedContext,
  now: () => number,
) {
  return record(log, workflows, ctx, (workflow, state) => advance(workflow, state, now()), now);
}
