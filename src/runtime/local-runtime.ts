/**
 * Maestro in one process: a pool of workers pulling tasks from a queue, a periodic sweeper,
 * and the same start-run path as everywhere else. Ports are injected, so the same runtime
 * runs on memory adapters (`maestro execute`, tests) or on a durable store.
 */
import { randomUUID } from "node:crypto";
import { createMemoryGuardStore } from "../adapters/memory/memory-guard-store.js";
import { FINAL_STATUSES } from "../engine/events.js";
import { fold, type RunState } from "../engine/state.js";
import type { CallGuard } from "../ports/call-guard.js";
import { type Clock, systemClock } from "../ports/clock.js";
import { type Logger, silentLogger } from "../ports/logger.js";
import type { SagaLog } from "../ports/saga-log.js";
import type { SecretStore } from "../ports/secrets.js";
import type { ServiceCaller } from "../ports/service-caller.js";
import type { TaskQueue } from "../ports/task-queue.js";
import { createRunAdmission, type RunAdmission } from "./run-admission.js";
import { cancelRun, type RedriveRunOptions, redriveRun, signalRun } from "./run-control.js";
import { type StartedRun, type StartRunRequest, startRun } from "./start-run.js";
import { sweep } from "./sweeper.js";
import { createWorker } from "./worker.js";
import type { WorkflowSource } from "./workflow-source.js";

export interface LocalRuntimeOptions {
  readonly log: SagaLog;
  readonly queue: TaskQueue;
  readonly caller: ServiceCaller;
  readonly workflows: WorkflowSource;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly random?: () => number;
  readonly newId?: () => string;
  /** Workers pulling tasks at once. @default 8 */
  readonly concurrency?: number;
  /** How long a received task stays hidden; an unfinished one reappears after it. @default 5 minutes */
  readonly visibilityMs?: number;
  /** How often the sweeper runs. @default 10s */
  readonly sweepEveryMs?: number;
  /** See SweepOptions.stallMs. @default 2 minutes */
  readonly stallMs?: number;
  /** @default 8 */
  readonly fastPathSteps?: number;
  /** Circuit breakers, rate limits, concurrency caps. @default admits every call */
  readonly guard?: CallGuard;
  /** Values for `{{ secret "name" }}`. @default none */
  readonly secrets?: SecretStore;
  /**
   * Workflows' `concurrency` limits. @default run slots in this process's memory
   * (`createRunAdmission` over `createMemoryGuardStore`)
   */
  readonly admission?: RunAdmission;
}

export interface LocalRuntime {
  start(): void;
  /** Stops pulling tasks and waits for the tasks in hand to finish. */
  stop(): Promise<void>;
  startRun(request: StartRunRequest): Promise<StartedRun>;
  /** The run's current state from its log. */
  getRun(runId: string): Promise<RunState | undefined>;
  /** Resolves when the run reaches a final status (polls the log). */
  waitForRun(runId: string, options?: { timeoutMs?: number; pollMs?: number }): Promise<RunState>;
  /** Stops starting new steps and compensates what completed; the run ends `cancelled`. */
  cancelRun(runId: string, reason?: string): Promise<RunState>;
  /** Resumes a `failed` run (optionally onto a newer version), or retries a parked run's undos. */
  redriveRun(runId: string, options?: RedriveRunOptions): Promise<RunState>;
  /** Delivers a named signal; the step waiting for it completes with `payload`. */
  signalRun(runId: string, name: string, payload: unknown): Promise<RunState>;
  /** One sweep now. */
  sweep(): Promise<{ examined: number; redriven: number }>;
}

export function createLocalRuntime(options: LocalRuntimeOptions): LocalRuntime {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const newId = options.newId ?? randomUUID;
  const admission =
    options.admission ??
    createRunAdmission({
      store: createMemoryGuardStore(),
      clock,
      logger,
      ...(options.random && { random: options.random }),
    });
  const worker = createWorker({
    log: options.log,
    queue: options.queue,
    caller: options.caller,
    workflows: options.workflows,
    clock,
    logger,
    ...(options.random && { random: options.random }),
    ...(options.fastPathSteps !== undefined && { fastPathSteps: options.fastPathSteps }),
    ...(options.guard && { guard: options.guard }),
    ...(options.secrets && { secrets: options.secrets }),
    admission,
  });
  const sweepDeps = {
    log: options.log,
    queue: options.queue,
    workflows: options.workflows,
    clock,
    logger,
    admission,
  };
  const stallMs = options.stallMs ?? 120_000;
  let running = false;
  let loops: Promise<void>[] = [];
  let sweepTimer: NodeJS.Timeout | undefined;

  async function loop(): Promise<void> {
    while (running) {
      let received: Awaited<ReturnType<TaskQueue["receive"]>>;
      try {
        received = await options.queue.receive({
          max: 1,
          waitMs: 500,
          visibilityMs: options.visibilityMs ?? 300_000,
        });
      } catch (error) {
        logger.error("receiving tasks failed", { error: (error as Error).message });
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      for (const message of received) {
        try {
          await worker.handle(message.task, { redelivered: message.receiveCount > 1 });
          await options.queue.ack(message.receipt);
        } catch (error) {
          // Not acked: the task reappears after its visibility timeout and is tried again.
          logger.error("task failed; it will be delivered again", {
            runId: message.task.runId,
            stepId: message.task.stepId,
            error: (error as Error).message,
          });
        }
      }
    }
  }

  const runtime: LocalRuntime = {
    start() {
      if (running) return;
      running = true;
      loops = Array.from({ length: options.concurrency ?? 8 }, () => loop());
      sweepTimer = setInterval(() => {
        runtime
          .sweep()
          .catch((error) => logger.error("sweep failed", { error: (error as Error).message }));
      }, options.sweepEveryMs ?? 10_000);
      sweepTimer.unref();
    },
    async stop() {
      running = false;
      if (sweepTimer) clearInterval(sweepTimer);
      await Promise.all(loops);
      loops = [];
    },
    startRun: (request) =>
      startRun({ log: options.log, queue: options.queue, clock, newId }, request),
    async getRun(runId) {
      const loaded = await options.log.load(runId);
      return loaded && fold(loaded.snapshot, loaded.events);
    },
    async waitForRun(runId, { timeoutMs = 60_000, pollMs = 20 } = {}) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const state = await runtime.getRun(runId);
        if (state && FINAL_STATUSES.has(state.status)) return state;
        if (Date.now() > until) {
          throw new Error(
            `run ${runId} did not finish within ${timeoutMs}ms (status ${state?.status ?? "unknown"})`,
          );
        }
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },
    cancelRun: (runId, reason) => cancelRun(sweepDeps, runId, reason),
    redriveRun: (runId, redrive) => redriveRun(sweepDeps, runId, redrive),
    signalRun: (runId, name, payload) => signalRun(sweepDeps, runId, name, payload),
    sweep: () => sweep(sweepDeps, { stallMs }),
  };
  return runtime;
}
