/**
 * The worker's writes to a run's log, with its workflow's concurrency limit kept: whoever ends
 * a run gives its slot back, and a run's first call is preceded by taking a slot (recorded as
 * `run_admitted`) or, with every slot taken, by a refusal the worker turns into a deferral.
 */
import { type Command, commandKey, commands } from "../engine/commands.js";
import { FINAL_STATUSES } from "../engine/events.js";
import { onAdmitted } from "../engine/results.js";
import type { SagaLog } from "../ports/saga-log.js";
import { needsSlot, type RunAdmission } from "./run-admission.js";
import { type Decision, type LoadedContext, type Recorded, record } from "./run-context.js";
import type { WorkflowSource } from "./workflow-source.js";

export type Admitted =
  /** The command may go ahead, from `ctx`. */
  | { readonly proceed: LoadedContext }
  /** Every slot is taken: defer the step until `retryAt`. */
  | { readonly refused: { readonly retryAt: number; readonly reason: string } }
  /** The run moved on meanwhile (cancelled, past its deadline): the command is stale. */
  | { readonly recorded: Recorded };

export interface AdmittingWriter {
  /**
   * Appends a decision; the writer whose events end the run gives its slot back. If that
   * fails the task is delivered again, finds the run ended, and gives it back then.
   */
  write(ctx: LoadedContext, decide: Parameters<typeof record>[3]): Promise<Recorded>;
  /** What must happen before `command`'s call, as far as the run's slot goes. */
  admit(ctx: LoadedContext, command: Command): Promise<Admitted>;
}

export function createAdmittingWriter(deps: {
  readonly log: SagaLog;
  readonly workflows: WorkflowSource;
  readonly admission: RunAdmission;
  readonly now: () => number;
}): AdmittingWriter {
  const { admission, now } = deps;

  async function write(
    ctx: LoadedContext,
    decide: (w: LoadedContext["workflow"], s: LoadedContext["state"]) => Decision,
  ): Promise<Recorded> {
    const recorded = await record(deps.log, deps.workflows, ctx, decide, now);
    const after = recorded.ctx;
    if (recorded.wrote && FINAL_STATUSES.has(after.state.status)) {
      await admission.release(after.workflow, after.state);
    }
    return recorded;
  }

  async function admit(ctx: LoadedContext, command: Command): Promise<Admitted> {
    if (command.kind !== "step" || !needsSlot(ctx.workflow, ctx.state)) return { proceed: ctx };
    const verdict = await admission.take(ctx.workflow, ctx.state);
    if (!verdict.admitted) {
      return { refused: { retryAt: verdict.retryAt, reason: verdict.reason } };
    }
    const admitted = await write(ctx, (w, s) => onAdmitted(w, s, now()));
    const next = admitted.ctx;
    if (FINAL_STATUSES.has(next.state.status)) {
      // It ended while it waited (cancelled, past its deadline): the slot just taken goes back.
      await admission.release(next.workflow, next.state);
    }
    const still = commands(next.workflow, next.state).some(
      (c) => commandKey(c) === commandKey(command),
    );
    return still ? { proceed: next } : { recorded: admitted };
  }

  return { write, admit };
}
