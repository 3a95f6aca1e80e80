/**
 * The sweeper re-drives runs whose progress stalled: a task lost between a checkpoint and
 * its send, a worker that died, a deadline that passed while nothing ran. The log is the
 * source of truth and tasks are hints, so re-sending what the log calls for is always safe.
 */
import { commands, toTask } from "../engine/commands.js";
import { FINAL_STATUSES } from "../engine/events.js";
import { runRedactor } from "../engine/sensitive-run.js";
import type { Clock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { RunHeader, SagaLog } from "../ports/saga-log.js";
import type { TaskSender } from "../ports/task-queue.js";
import { scrubError } from "./redact.js";
import { noRunLimits, type RunAdmission } from "./run-admission.js";
import { type LoadedContext, loadRun, MissingRunError, settle } from "./run-context.js";
import { delayed } from "./worker.js";
import type { WorkflowSource } from "./workflow-source.js";

export interface SweeperDeps {
  readonly log: SagaLog;
  readonly queue: TaskSender;
  readonly workflows: WorkflowSource;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Workflows' concurrency limits: slots of runs that ended are freed here. @default none */
  readonly admission?: RunAdmission;
}

export interface SweepOptions {
  /**
   * A run that has written nothing for this long, with work due for this long, is stalled.
   * Must exceed the longest call plus queue latency, or busy runs get duplicate tasks
   * (harmless, but wasted calls).
   */
  readonly stallMs: number;
}

export interface SweepReport {
  readonly examined: number;
  readonly redriven: number;
}

async function* activeRuns(log: SagaLog): AsyncGenerator<RunHeader> {
  for (const status of ["running", "compensating"] as const) {
    let cursor: string | undefined;
    do {
      const page = await log.list({ status, limit: 100, ...(cursor !== undefined && { cursor }) });
      yield* page.runs;
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
}

export async function sweep(deps: SweeperDeps, options: SweepOptions): Promise<SweepReport> {
  const admission = deps.admission ?? noRunLimits;
  let examined = 0;
  let redriven = 0;
  // Each slot record is checked once per sweep, however many runs wait on it.
  const repaired = new Set<string>();
  for await (const header of activeRuns(deps.log)) {
    examined++;
    let seen: LoadedContext | undefined;
    try {
      const now = deps.clock.now();
      const loaded = await loadRun(deps.log, deps.workflows, header.runId);
      seen = loaded;
      const settled = await settle(deps.log, deps.workflows, loaded, () => deps.clock.now());
      const { ctx, fresh } = settled;
      seen = ctx;
      if (settled.wrote && FINAL_STATUSES.has(ctx.state.status)) {
        await admission.release(ctx.workflow, ctx.state);
      }
      if (ctx.state.admission === "waiting" && ctx.state.status === "running") {
        // A run that waits may be waiting on a slot whose run ended without giving it back.
        const slot = `${ctx.state.workflow}\u0000${ctx.state.concurrencyKey ?? ""}`;
        if (!repaired.has(slot)) {
          repaired.add(slot);
          await admission.repair(ctx.workflow, ctx.state, deps.log);
        }
      }
      if (fresh.length > 0) {
        // Settling moved the run on (e.g. its deadline passed): send what that made runnable.
        redriven++;
        await deps.queue.send(fresh.map((c) => delayed(toTask(header.runId, c), c.notBefore, now)));
        continue;
      }
      if (now - ctx.state.updatedAt < options.stallMs) continue;
      const due = commands(ctx.workflow, ctx.state).filter(
        (c) => c.notBefore + options.stallMs <= now,
      );
      if (due.length === 0) continue;
      redriven++;
      deps.logger.warn("stalled run re-driven", { runId: header.runId, tasks: due.length });
      await deps.queue.send(due.map((c) => delayed(toTask(header.runId, c), c.notBefore, now)));
    } catch (error) {
      if (error instanceof MissingRunError) continue;
      if (seen) scrubError(error, runRedactor(seen.workflow, seen.state));
      deps.logger.error("sweep of a run failed", {
        runId: header.runId,
        error: (error as Error).message,
      });
    }
  }
  return { examined, redriven };
}
