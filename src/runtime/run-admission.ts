/**
 * A workflow's concurrency limit at run time. A run takes a slot before its first call and
 * holds it until it ends; a run that finds every slot taken is accepted but waits: its first
 * step's task comes back later (a deferral, not an attempt) and the run records why.
 *
 * Where a slot is given back, and what repairs a lost give-back:
 * - the worker (or operator action, or sweeper) whose write ends the run gives it back;
 * - a task for a run that already ended gives it back again (a worker that died between the
 *   write and the give-back has its task redelivered), which is harmless when it is gone;
 * - the sweeper, finding a run that waits, checks the runs holding that slot record and
 *   frees the slots of runs that ended or no longer exist;
 * - at the latest a slot expires at its run's deadline plus `marginMs`.
 */
import { FINAL_STATUSES } from "../engine/events.js";
import { fold, type RunState } from "../engine/state.js";
import { MaestroError } from "../errors.js";
import { type Clock, systemClock } from "../ports/clock.js";
import { type Logger, silentLogger } from "../ports/logger.js";
import type { SagaLog } from "../ports/saga-log.js";
import type { RunSlotStore } from "../resilience/guard-store.js";
import {
  DEFAULT_SLOT_WAIT,
  type SlotWait,
  slotName,
  slotRetryAt,
} from "../resilience/run-slots.js";
import type { Workflow } from "../workflow/model.js";
import type { WorkflowSource } from "./workflow-source.js";

/** Why a run waits, as its timeline shows it. */
export const RUN_SLOT_REASON = "run concurrency limit";
/** When the slot store cannot be asked: the run waits, as a call does when its guard cannot. */
const UNAVAILABLE_REASON = "guard unavailable";

export type SlotVerdict =
  | { readonly admitted: true }
  | { readonly admitted: false; readonly retryAt: number; readonly reason: string };

export interface RunAdmission {
  /** Takes the run's slot if it has none (idempotent); otherwise says when to look again. */
  take(workflow: Workflow, state: RunState): Promise<SlotVerdict>;
  /**
   * Takes the slot of a run the log says is admitted, whatever the limit: after a restart on
   * a durable log with slots kept in memory, the runs going on hold their slots again.
   */
  restore(workflow: Workflow, state: RunState): Promise<void>;
  /** Gives the run's slot back, if its workflow has a limit (nothing if it holds none). */
  release(workflow: Workflow, state: RunState): Promise<void>;
  /** Frees the slots of the record `state`'s run waits on that are held by runs that ended. */
  repair(workflow: Workflow, state: RunState, log: SagaLog): Promise<number>;
}

export interface RunAdmissionOptions {
  readonly store: RunSlotStore;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** How long after its run's deadline a slot whose give-back was lost expires. @default 5 minutes */
  readonly marginMs?: number;
  /** How often a waiting run looks for a slot. @default DEFAULT_SLOT_WAIT (1 s growing to 30 s) */
  readonly wait?: SlotWait;
  /** Uniform in [0, 1): spreads the looks of waiting runs. */
  readonly random?: () => number;
  /**
   * Names a per-key slot record by this digest of the key instead of the key itself, so a
   * key taken from sensitive input is not stored in the clear. @default the key as it is
   */
  readonly keyDigest?: (key: string) => string;
}

/** True when the workflow limits its runs and this run does not hold a slot yet. */
export function needsSlot(workflow: Workflow, state: RunState): boolean {
  return workflow.concurrency !== undefined && state.admission !== "admitted";
}

/** Admits every run: for runtimes given no slot store (a workflow's limit is then not kept). */
export const noRunLimits: RunAdmission = {
  take: async () => ({ admitted: true }),
  restore: async () => {},
  release: async () => {},
  repair: async () => 0,
};

export function createRunAdmission(options: RunAdmissionOptions): RunAdmission {
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const marginMs = options.marginMs ?? 5 * 60_000;
  const wait = options.wait ?? DEFAULT_SLOT_WAIT;
  const random = options.random ?? Math.random;
  const digest = options.keyDigest;
  const slotOf = (state: RunState) => {
    const key = state.concurrencyKey;
    return slotName(state.workflow, key !== undefined && digest ? digest(key) : key);
  };

  return {
    async take(workflow, state) {
      const max = workflow.concurrency?.max;
      if (max === undefined) return { admitted: true };
      const now = clock.now();
      const until = state.deadlineAt + marginMs;
      try {
        const answer = await store.takeRunSlot(slotOf(state), {
          now,
          max,
          id: state.runId,
          until,
        });
        if (answer.acquired) return { admitted: true };
        const retryAt = slotRetryAt(now, state.createdAt, answer.soonestExpiry, wait, random());
        return { admitted: false, retryAt, reason: RUN_SLOT_REASON };
      } catch (error) {
        logger.warn("run admission: taking a slot failed", {
          runId: state.runId,
          error: MaestroError.from(error).message,
        });
        const retryAt = now + Math.ceil(wait.minMs * (1 + random()));
        return { admitted: false, retryAt, reason: UNAVAILABLE_REASON };
      }
    },

    async restore(workflow, state) {
      if (!workflow.concurrency || state.admission !== "admitted") return;
      const now = clock.now();
      await store.takeRunSlot(slotOf(state), {
        now,
        max: Number.MAX_SAFE_INTEGER,
        id: state.runId,
        until: state.deadlineAt + marginMs,
      });
    },

    async release(workflow, state) {
      if (!workflow.concurrency && state.admission !== "admitted") return;
      await store.releaseRunSlot(slotOf(state), state.runId);
    },

    async repair(workflow, state, log) {
      if (!workflow.concurrency) return 0;
      const slot = slotOf(state);
      let freed = 0;
      for (const holder of Object.keys(await store.readRunSlots(slot))) {
        if (holder === state.runId) continue;
        const loaded = await log.load(holder);
        if (loaded && !FINAL_STATUSES.has(loaded.header.status)) continue;
        await store.releaseRunSlot(slot, holder);
        freed++;
        logger.warn("run slot of an ended run freed", { slot, runId: holder });
      }
      return freed;
    },
  };
}

/**
 * Gives every run going on (running or compensating) that the log says is admitted its slot
 * again. For a process whose slots live in memory but whose log survives a restart
 * (`maestro serve` on its embedded store); call it before the workers start.
 */
export async function restoreRunSlots(deps: {
  readonly log: SagaLog;
  readonly workflows: WorkflowSource;
  readonly admission: RunAdmission;
}): Promise<number> {
  let restored = 0;
  for (const status of ["running", "compensating"] as const) {
    let cursor: string | undefined;
    do {
      const page = await deps.log.list({ status, limit: 100, ...(cursor && { cursor }) });
      for (const header of page.runs) {
        const loaded = await deps.log.load(header.runId);
        const state = loaded && fold(loaded.snapshot, loaded.events);
        if (state?.admission !== "admitted") continue;
        const workflow = await deps.workflows.get(state.workflow, state.version);
        if (!workflow?.concurrency) continue;
        await deps.admission.restore(workflow, state);
        restored++;
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
  return restored;
}
