/**
 * Starting a run — the one code path behind the API, schedules, the run-request queue and
 * `maestro execute`. The run's first events and its idempotency key are written together,
 * then its first tasks are sent; a crash in between is repaired by the sweeper.
 */
import { advance } from "../engine/advance.js";
import { commands, toTask } from "../engine/commands.js";
import { concurrencyKeyOf } from "../engine/concurrency-key.js";
import type { RunStarted, RunTrace, SagaEvent } from "../engine/events.js";
import { applyEvent, draftOf, evolve, type RunState } from "../engine/state.js";
import { runTraceOf } from "../observability/trace-context.js";
import type { Clock } from "../ports/clock.js";
import type { SagaLog } from "../ports/saga-log.js";
import type { TaskSender } from "../ports/task-queue.js";
import type { Workflow } from "../workflow/model.js";
import { inRunSpan } from "./tracing.js";
import { delayed } from "./worker.js";

export interface StartRunDeps {
  readonly log: SagaLog;
  readonly queue: TaskSender;
  readonly clock: Clock;
  /** New unique ids (run ids, correlation ids). */
  readonly newId: () => string;
}

export interface StartRunRequest {
  readonly workflow: Workflow;
  readonly input: unknown;
  readonly idempotencyKey?: string;
  readonly correlationId?: string;
  /** The caller's trace context (e.g. the `traceparent` of `POST /v1/runs`): the run's trace becomes its child. */
  readonly trace?: RunTrace;
}

export interface StartedRun {
  readonly runId: string;
  /** False when the idempotency key named an existing run, which is returned instead. */
  readonly created: boolean;
}

export function startRun(deps: StartRunDeps, request: StartRunRequest): Promise<StartedRun> {
  return inRunSpan(request.workflow, request.trace, async (span) => {
    const started = await create(deps, request, runTraceOf(span.spanContext()));
    span.setAttribute("maestro.run.id", started.runId);
    span.setAttribute("maestro.run.created", started.created);
    return started;
  });
}

async function create(
  deps: StartRunDeps,
  request: StartRunRequest,
  trace: RunTrace | undefined,
): Promise<StartedRun> {
  const now = deps.clock.now();
  const runId = deps.newId();
  const { workflow } = request;
  const started: RunStarted = {
    type: "run_started",
    at: now,
    runId,
    workflow: workflow.name,
    version: workflow.version,
    input: request.input ?? {},
    correlationId: request.correlationId ?? runId,
    deadlineAt: now + workflow.timeoutMs,
    ...(trace && { trace }),
  };
  const { first, events } = withConcurrencyKey(workflow, started);
  const followed = advance(workflow, first, now);
  const result = await deps.log.create(
    {
      runId,
      workflow: workflow.name,
      version: workflow.version,
      status: followed.state.status,
      createdAt: now,
      updatedAt: now,
      correlationId: first.correlationId,
      ...(request.idempotencyKey !== undefined && { idempotencyKey: request.idempotencyKey }),
    },
    [...events, ...followed.events],
    request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey },
  );
  if (!result.created) return { runId: result.runId, created: false };
  const initial = commands(workflow, followed.state);
  if (initial.length > 0) {
    await deps.queue.send(initial.map((c) => delayed(toTask(runId, c), c.notBefore, now)));
  }
  return { runId, created: true };
}

/**
 * The run's first events with its `concurrency.key` evaluated on the input. A key that cannot
 * be evaluated fails the run at once (nothing ran, so nothing is undone): the start is still
 * recorded, under its idempotency key, with the error in the log.
 */
function withConcurrencyKey(
  workflow: Workflow,
  started: RunStarted,
): { first: RunState; events: SagaEvent[] } {
  const plain = evolve(undefined, started, 1);
  const found = concurrencyKeyOf(workflow, plain);
  if ("error" in found) {
    const failed: SagaEvent = { type: "run_failed", at: started.at, error: found.error.toInfo() };
    const draft = draftOf(plain);
    applyEvent(draft, failed, 2);
    return { first: draft, events: [started, failed] };
  }
  if (found.key === undefined) return { first: plain, events: [started] };
  const keyed: RunStarted = { ...started, concurrencyKey: found.key };
  return { first: evolve(undefined, keyed, 1), events: [keyed] };
}
