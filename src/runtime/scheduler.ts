/**
 * The local scheduler: starts runs for workflows whose `triggers` have a schedule, through
 * the same start-run path as everything else. Each due time has its own idempotency key,
 * so a restart or two schedulers never start the same occurrence twice. On AWS the same
 * triggers become EventBridge schedules instead.
 */
import type { Clock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { SagaLog } from "../ports/saga-log.js";
import type { TaskSender } from "../ports/task-queue.js";
import type { Workflow } from "../workflow/model.js";
import { nextFire, type Schedule } from "../workflow/schedule.js";
import { startRun } from "./start-run.js";

export interface SchedulerDeps {
  readonly log: SagaLog;
  readonly queue: TaskSender;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly newId: () => string;
}

interface Entry {
  readonly workflow: Workflow;
  readonly expression: string;
  readonly schedule: Schedule;
  readonly input: unknown;
  next: number;
}

export interface Scheduler {
  /** Starts every occurrence due at or before now; returns the run ids started. */
  tick(): Promise<string[]>;
  /** Ticks every `everyMs` until stopped. */
  start(everyMs?: number): void;
  stop(): void;
}

/**
 * `workflows` may be a function: it is read again on every tick, so workflows registered
 * later get their schedules from their next occurrence on.
 */
export function createScheduler(
  deps: SchedulerDeps,
  workflows: readonly Workflow[] | (() => Promise<readonly Workflow[]>),
): Scheduler {
  const entries = new Map<string, Entry>();
  const created = deps.clock.now();

  let initialized = false;
  /** Workflows seen first at start count occurrences from then; ones seen later, from now. */
  function track(list: readonly Workflow[]) {
    const from = initialized ? deps.clock.now() : created;
    initialized = true;
    for (const workflow of list) {
      for (const trigger of workflow.triggers) {
        if (trigger.kind !== "schedule") continue;
        const key = `${workflow.name}@${workflow.version}/${trigger.expression}`;
        if (entries.has(key)) continue;
        const schedule: Schedule =
          trigger.cron !== undefined
            ? { cron: trigger.cron }
            : { rateMs: trigger.rateMs ?? 60_000 };
        // Rates are aligned to the epoch, not to this process's start, so that every process
        // (and every restart) computes the same occurrences and their idempotency keys match.
        const next = nextFire(schedule, from - 1, 0);
        if (next === undefined) continue;
        entries.set(key, {
          workflow,
          expression: trigger.expression,
          schedule,
          input: trigger.input ?? {},
          next,
        });
      }
    }
  }
  const ready =
    typeof workflows === "function" ? workflows().then(track) : Promise.resolve(track(workflows));
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<string[]> | undefined;

  async function tick(): Promise<string[]> {
    await ready;
    if (typeof workflows === "function") track(await workflows());
    const started: string[] = [];
    const current = deps.clock.now();
    for (const entry of entries.values()) {
      while (entry.next <= current) {
        const due = new Date(entry.next).toISOString();
        const key = `schedule/${entry.workflow.name}/${entry.expression}/${due}`;
        try {
          const run = await startRun(deps, {
            workflow: entry.workflow,
            input: entry.input,
            idempotencyKey: key,
          });
          if (run.created) started.push(run.runId);
          deps.logger.info("scheduled run started", {
            runId: run.runId,
            workflow: entry.workflow.name,
            due,
          });
        } catch (error) {
          // Leave `next` alone: the occurrence is tried again on the next tick.
          deps.logger.error("scheduled run failed to start", {
            workflow: entry.workflow.name,
            due,
            error: (error as Error).message,
          });
          return started;
        }
        const after = nextFire(entry.schedule, entry.next, 0);
        if (after === undefined) break;
        entry.next = after;
      }
    }
    return started;
  }

  return {
    tick: () => {
      // One tick at a time: a slow store must not start an occurrence twice in parallel.
      ticking = (ticking ?? Promise.resolve([])).then(tick, tick);
      return ticking;
    },
    start(everyMs = 1_000) {
      timer ??= setInterval(() => void this.tick(), everyMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
