/**
 * The step worker: takes one task, checks it against the run's log, makes the call,
 * records the outcome exactly once, and hands on what became runnable — running the next
 * step itself when it can (the fast path) instead of paying for a queue hop.
 *
 * Timeline of a task, and what a crash at each point leads to:
 *   load → [crash: task redelivered, nothing happened] → call →
 *   [crash: redelivered, the call is repeated with the same idempotency key] → append →
 *   [crash: the outcome is recorded; the sweeper sends the lost follow-up tasks] → send.
 */

import { advance } from "../engine/advance.js";
import { type Command, commandKey, commands, toTask } from "../engine/commands.js";
import { FINAL_STATUSES } from "../engine/events.js";
import { callOf, prepareCall, secretNames } from "../engine/request.js";
import { type Outcome, onDeferral, onOutcome } from "../engine/results.js";
import { runRedactor } from "../engine/sensitive-run.js";
import { type ErrorInfo, MaestroError, PayloadTooLargeError } from "../errors.js";
import { traceIdOf } from "../observability/trace-context.js";
import { type CallGuard, openGate } from "../ports/call-guard.js";
import type { Clock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { SagaLog } from "../ports/saga-log.js";
import { noSecrets, type SecretStore } from "../ports/secrets.js";
import type { CallResult, ServiceCaller } from "../ports/service-caller.js";
import type { OutgoingTask, Task, TaskSender } from "../ports/task-queue.js";
import { createAdmittingWriter } from "./admitting-writer.js";
import { redactResult, scrubError } from "./redact.js";
import { noRunLimits, type RunAdmission } from "./run-admission.js";
import { type LoadedContext, loadRun, MissingRunError, type Recorded } from "./run-context.js";
import { inAttemptSpan } from "./tracing.js";
import type { WorkflowSource } from "./workflow-source.js";

/** SQS cannot delay a message longer than this; longer waits are chained. */
export const MAX_QUEUE_DELAY_MS = 15 * 60_000;

export interface WorkerDeps {
  readonly log: SagaLog;
  readonly queue: TaskSender;
  readonly caller: ServiceCaller;
  readonly workflows: WorkflowSource;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Uniform in [0, 1): retry jitter. */
  readonly random?: () => number;
  /** Steps one task may run back to back without a queue hop. 0 turns the fast path off. @default 8 */
  readonly fastPathSteps?: number;
  /** Circuit breakers, rate limits and concurrency caps. @default admits every call */
  readonly guard?: CallGuard;
  /** Where `{{ secret "name" }}` values come from. @default none */
  readonly secrets?: SecretStore;
  /** Workflows' `concurrency` limits (run slots). @default admits every run */
  readonly admission?: RunAdmission;
}

export interface HandleOptions {
  /** Epoch ms after which no further step is started inline (e.g. the Lambda's remaining time). */
  readonly fastPathUntil?: number;
  /**
   * The queue delivered this task before (receive count > 1): an earlier worker may have died
   * after checkpointing but before handing on, so a stale task re-sends what the run calls
   * for instead of waiting for the sweeper.
   */
  readonly redelivered?: boolean;
}

export interface Worker {
  /** Handles one task. Throws only when the task should be delivered again (e.g. the store failed). */
  handle(task: Task, options?: HandleOptions): Promise<void>;
}

function matches(command: Command, task: Task): boolean {
  return (
    command.kind === task.kind && command.stepId === task.stepId && command.attempt === task.attempt
  );
}

export function delayed(task: Task, notBefore: number, now: number): OutgoingTask {
  const delayMs = Math.max(0, notBefore - now);
  return delayMs > 0 ? { task, delayMs: Math.min(delayMs, MAX_QUEUE_DELAY_MS) } : { task };
}

export function createWorker(deps: WorkerDeps): Worker {
  const random = deps.random ?? Math.random;
  const now = () => deps.clock.now();
  const fastPathSteps = deps.fastPathSteps ?? 8;
  const guard = deps.guard ?? openGate;
  const secrets = deps.secrets ?? noSecrets;
  const admission = deps.admission ?? noRunLimits;

  const writer = createAdmittingWriter({
    log: deps.log,
    workflows: deps.workflows,
    admission,
    now,
  });
  const write = writer.write;

  type Attempted = { result: CallResult } | { refused: { retryAt: number; reason: string } };

  async function call(
    ctx: LoadedContext,
    command: Command,
    sensitive: readonly string[],
  ): Promise<Attempted> {
    const step = ctx.workflow.stepsById.get(command.stepId);
    if (command.kind === "step" && step?.sleepMs !== undefined)
      return { result: { ok: true, output: null } };
    if (command.kind === "step" && step?.waitFor) {
      // Reached only if a signal step's timeout task outran settling: it waited long enough.
      const message = `no signal "${step.waitFor.signal}" came within the step's timeout`;
      return {
        result: {
          ok: false,
          error: new MaestroError("deadline_exceeded", message, { retryable: false }).toInfo(),
        },
      };
    }
    const resolved = await resolveSecrets(ctx, command);
    if (!resolved.ok) return { result: resolved };
    const prepared = prepareCall(ctx.workflow, ctx.state, command, resolved.values);
    if (!prepared.ok) return { result: prepared };
    const { call } = prepared;
    // The step's own timeout, so leases and half-open trials last as long as this call may.
    const admission = await guard.admit({ ...call.service, timeoutMs: call.timeoutMs }, now());
    if (!admission.admitted) return { refused: admission };
    const secretValues = Object.values(resolved.values);
    // Client spans redact by value: the run's sensitive values as well as the call's secrets.
    const result = await invoke(ctx, command, call, [...secretValues, ...sensitive]);
    await admission.done(result.ok ? { ok: true } : { ok: false, error: result.error });
    // A service that echoes a secret back must not get it into the saga log.
    return { result: secretValues.length > 0 ? redactResult(result, secretValues) : result };
  }

  async function resolveSecrets(
    ctx: LoadedContext,
    command: Command,
  ): Promise<{ ok: true; values: Record<string, string> } | { ok: false; error: ErrorInfo }> {
    const found = callOf(ctx.workflow, command);
    const values: Record<string, string> = {};
    for (const name of found ? secretNames(found.def, found.service) : []) {
      const value = await secrets.get(name);
      if (value === undefined) {
        const error = new MaestroError("failed_precondition", `secret "${name}" is not set`, {
          retryable: false,
        });
        return { ok: false, error: error.toInfo() };
      }
      values[name] = value;
    }
    return { ok: true, values };
  }

  async function invoke(
    ctx: LoadedContext,
    command: Command,
    call: Extract<ReturnType<typeof prepareCall>, { ok: true }>["call"],
    secretValues: readonly string[],
  ): Promise<CallResult> {
    try {
      return await deps.caller.call({
        service: call.service,
        method: call.method,
        input: call.input,
        headers: call.headers,
        query: call.query,
        idempotencyKey: call.idempotencyKey,
        attempt: command.attempt,
        correlationId: ctx.state.correlationId,
        timeoutMs: call.timeoutMs,
        sensitive: secretValues,
        ...(ctx.state.trace !== undefined && { trace: ctx.state.trace }),
      });
    } catch (error) {
      return { ok: false, error: MaestroError.from(error).toInfo() };
    }
  }

  async function runCommand(start: LoadedContext, command: Command): Promise<Recorded> {
    let ctx = start;
    const traceId = traceIdOf(ctx.state.trace);
    const log = deps.logger.child({
      runId: ctx.state.runId,
      stepId: command.stepId,
      attempt: command.attempt,
      kind: command.kind,
      correlationId: ctx.state.correlationId,
      ...(traceId !== undefined && { traceId }),
    });
    const admitted = await writer.admit(ctx, command);
    if ("refused" in admitted) return defer(ctx, command, admitted.refused, log, true);
    if ("recorded" in admitted) return admitted.recorded;
    ctx = admitted.proceed;
    const startedAt = now();
    // A service's error may quote what it was sent: spans and log lines show it redacted.
    const redactor = runRedactor(ctx.workflow, ctx.state);
    const attempted = await inAttemptSpan(
      ctx.state,
      command,
      () => call(ctx, command, redactor.values()),
      (a) => ("refused" in a ? { deferred: a.refused.reason } : redactor.scrub(a.result)),
    );
    if ("refused" in attempted) return defer(ctx, command, attempted.refused, log);
    const { result } = attempted;
    const outcome: Outcome = {
      kind: command.kind,
      stepId: command.stepId,
      attempt: command.attempt,
      startedAt,
      result,
    };
    log[result.ok ? "info" : "warn"](result.ok ? "call succeeded" : "call failed", {
      durationMs: now() - startedAt,
      ...(!result.ok && {
        error: { code: result.error.code, message: redactor.scrub(result.error.message) },
      }),
    });
    try {
      return await write(ctx, (w, s) => onOutcome(w, s, outcome, now(), random));
    } catch (error) {
      if (!(error instanceof PayloadTooLargeError) || !result.ok) throw error;
      // The output cannot be stored: the step fails for good instead of retrying forever.
      log.error("step output too large to record", { error: error.message });
      const failed: Outcome = { ...outcome, result: { ok: false, error: error.toInfo() } };
      return write(ctx, (w, s) => onOutcome(w, s, failed, now(), random));
    }
  }

  /** Backpressure: record why the step waits (steps only) and hand the task back, delayed. */
  async function defer(
    ctx: LoadedContext,
    command: Command,
    refused: { retryAt: number; reason: string },
    log: Logger,
    runSlot = false,
  ): Promise<Recorded> {
    log.info(runSlot ? "run waits for a concurrency slot" : "call held back", {
      reason: refused.reason,
      until: new Date(refused.retryAt).toISOString(),
    });
    const task = toTask(ctx.state.runId, command);
    if (command.kind === "compensate") {
      await deps.queue.send([delayed(task, refused.retryAt, now())]);
      return { ctx, fresh: [], wrote: false };
    }
    const deferral = {
      stepId: command.stepId,
      attempt: command.attempt,
      until: refused.retryAt,
      ...refused,
      ...(runSlot && { runSlot }),
    };
    const recorded = await write(ctx, (w, s) => onDeferral(w, s, deferral, now()));
    // Same step, same attempt: the command is not "new", so hand its task back explicitly.
    if (recorded.wrote) await deps.queue.send([delayed(task, refused.retryAt, now())]);
    return {
      ...recorded,
      fresh: recorded.fresh.filter((c) => commandKey(c) !== commandKey(command)),
    };
  }

  async function handle(task: Task, options: HandleOptions = {}): Promise<void> {
    let ctx: LoadedContext;
    try {
      ctx = await loadRun(deps.log, deps.workflows, task.runId);
    } catch (error) {
      if (error instanceof MissingRunError) {
        deps.logger.warn("task for an unknown run dropped", {
          runId: task.runId,
          error: error.message,
        });
        return;
      }
      throw error;
    }
    try {
      await drive(ctx, task, options, (latest) => {
        ctx = latest;
      });
    } catch (error) {
      // The message may quote the run's values (a store refusing an item, a caller's error):
      // it leaves for log lines and dead letters with the sensitive ones masked.
      throw scrubError(error, runRedactor(ctx.workflow, ctx.state));
    }
  }

  async function drive(
    start: LoadedContext,
    task: Task,
    options: HandleOptions,
    track: (ctx: LoadedContext) => void,
  ): Promise<void> {
    let ctx = start;
    const settled = await write(ctx, (workflow, state) => advance(workflow, state, now()));
    ctx = settled.ctx;
    track(ctx);
    if (!settled.wrote && FINAL_STATUSES.has(ctx.state.status)) {
      // A task for a run that ended: its writer may have died before giving the slot back.
      await admission.release(ctx.workflow, ctx.state);
    }
    const pending = commands(ctx.workflow, ctx.state);
    if (task.kind === "wake") {
      await send(ctx, pending);
      return;
    }
    let command = pending.find((c) => matches(c, task));
    if (!command) {
      // Stale or duplicate: the log has moved past this task. Whatever settling made runnable
      // still needs sending; after a redelivery, everything due (duplicates are harmless).
      await send(
        ctx,
        options.redelivered ? pending.filter((c) => c.notBefore <= now()) : settled.fresh,
      );
      return;
    }
    if (command.notBefore > now()) {
      await deps.queue.send([delayed(task, command.notBefore, now())]);
      return;
    }
    for (let inline = 0; ; inline++) {
      const recorded = await runCommand(ctx, command);
      ctx = recorded.ctx;
      track(ctx);
      const due = recorded.fresh.filter((c) => c.notBefore <= now());
      const canInline =
        inline < fastPathSteps &&
        (options.fastPathUntil === undefined || now() < options.fastPathUntil);
      const next = canInline ? due[0] : undefined;
      await send(
        ctx,
        recorded.fresh.filter((c) => c !== next),
      );
      if (!next) return;
      command = next;
    }
  }

  async function send(ctx: LoadedContext, list: readonly Command[]) {
    if (list.length === 0) return;
    const at = now();
    const unique = new Map(list.map((c) => [commandKey(c), c]));
    await deps.queue.send(
      [...unique.values()].map((c) => delayed(toTask(ctx.state.runId, c), c.notBefore, at)),
    );
  }

  return { handle };
}
