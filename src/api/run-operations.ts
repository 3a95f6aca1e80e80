/**
 * The run operations behind both the HTTP routes and the Connect service: each one checks
 * its input, authorizes the caller on the run's workflow, and calls the one start-run or
 * run-control path. Transports only translate requests in and results or errors out, so
 * the two APIs cannot drift apart. Errors are problems (status, code, field) or the
 * control path's MaestroErrors.
 */
import { isDeepStrictEqual } from "node:util";
import { FINAL_STATUSES, RUN_STATUSES, type RunStatus, type RunTrace } from "../engine/events.js";
import { createSensitiveRedactor, type SensitiveRedactor } from "../engine/sensitive.js";
import { createEventRedactor, redactRunState, runRedactor } from "../engine/sensitive-run.js";
import { fold, type RunState } from "../engine/state.js";
import type { LoggedEvent, RunPage } from "../ports/saga-log.js";
import { scrubError } from "../runtime/redact.js";
import { MissingRunError } from "../runtime/run-context.js";
import {
  cancelRun,
  type RedriveRunOptions,
  redriveRun,
  signalRun,
} from "../runtime/run-control.js";
import { startRun } from "../runtime/start-run.js";
import type { Workflow } from "../workflow/model.js";
import type { ApiDeps } from "./app.js";
import type { Action } from "./auth.js";
import { checkInput } from "./input-schema.js";
import { problem } from "./problem.js";
import { redriveProblem } from "./redrive-request.js";

/** Throws a 403 problem unless the caller may do `action` on `workflow`. */
export type Authorize = (action: Action, workflow: string) => void;

export interface StartRequest {
  readonly workflow: string;
  /** @default the latest version */
  readonly version?: string;
  readonly input: unknown;
  readonly idempotencyKey?: string;
  /** The caller's W3C trace context: the run's trace becomes its child (invalid is ignored). */
  readonly trace?: RunTrace;
}

export interface ListRequest {
  readonly workflow?: string;
  readonly status?: string;
  /** @default 50 */
  readonly limit?: number;
  readonly cursor?: string;
}

export interface RunOperations {
  /** Starts a run (or returns the run an idempotency key already names). */
  start(
    authorize: Authorize,
    request: StartRequest,
  ): Promise<{ state: RunState; created: boolean }>;
  list(authorize: Authorize, request: ListRequest): Promise<RunPage>;
  read(authorize: Authorize, runId: string): Promise<RunState>;
  cancel(authorize: Authorize, runId: string, reason?: string): Promise<RunState>;
  /** Resumes a failed run (optionally onto a newer version) or retries parked undos. */
  redrive(authorize: Authorize, runId: string, options?: RedriveRunOptions): Promise<RunState>;
  signal(authorize: Authorize, runId: string, name: string, payload: unknown): Promise<RunState>;
  /**
   * The run's log events after `afterSeq`, live, ending after the run's final event or when
   * `signal` aborts. Authorization and support are checked before the first event.
   */
  events(
    authorize: Authorize,
    runId: string,
    afterSeq: number,
    signal: AbortSignal,
  ): Promise<AsyncIterable<LoggedEvent>>;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

async function* redacted(
  events: AsyncIterable<LoggedEvent>,
  redact: (event: LoggedEvent) => LoggedEvent,
): AsyncIterable<LoggedEvent> {
  for await (const event of events) yield redact(event);
}

export function createRunOperations(deps: ApiDeps, pollMs = 250): RunOperations {
  const controlDeps = {
    log: deps.log,
    queue: deps.queue,
    workflows: deps.workflows,
    clock: deps.clock,
    logger: deps.logger,
    ...(deps.admission && { admission: deps.admission }),
  };

  async function loadState(runId: string): Promise<RunState> {
    const loaded = await deps.log.load(runId);
    const state = loaded && fold(loaded.snapshot, loaded.events);
    if (!state) throw problem(404, "not_found", `run ${runId} not found`);
    return state;
  }

  /**
   * The run as callers see it: the values its workflow version marks `sensitive` masked.
   * Every operation returns states through here, so neither API can show them raw.
   */
  async function shown(state: RunState): Promise<RunState> {
    const workflow = await deps.workflows.get(state.workflow, state.version);
    return workflow ? redactRunState(workflow, state) : state;
  }

  /**
   * `work` on a run, its errors masked of the run's sensitive values before they reach the
   * 500 path's log line (a store refusing a write may quote the run's documents).
   */
  async function masking<T>(
    state: RunState,
    work: () => Promise<T>,
    learn?: (redactor: SensitiveRedactor, workflow: Workflow) => void,
  ): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const workflow = await deps.workflows
        .get(state.workflow, state.version)
        .catch(() => undefined);
      if (!workflow) throw error;
      const redactor = runRedactor(workflow, state);
      learn?.(redactor, workflow);
      throw scrubError(error, redactor);
    }
  }

  /** Loads a run and checks the caller may act on its workflow. */
  async function authorized(authorize: Authorize, action: Action, runId: string) {
    const state = await loadState(runId);
    authorize(action, state.workflow);
    return state;
  }

  async function* follow(runId: string, afterSeq: number, signal: AbortSignal) {
    let after = afterSeq;
    while (!signal.aborted) {
      const events = (await deps.log.events?.(runId, after)) ?? [];
      for (const event of events) {
        yield event;
        after = event.seq;
        if (event.type === "run_finished" && FINAL_STATUSES.has(event.status)) return;
      }
      await pause(pollMs, signal);
    }
  }

  return {
    async start(authorize, request) {
      if (request.workflow === "") {
        throw problem(400, "invalid_field", "workflow must be a workflow name", "workflow");
      }
      authorize("runs:start", request.workflow);
      const workflow = request.version
        ? await deps.workflows.get(request.workflow, request.version)
        : await deps.workflows.latest(request.workflow);
      if (!workflow) {
        const which = request.version ? `${request.workflow}@${request.version}` : request.workflow;
        throw problem(404, "workflow_not_found", `workflow ${which} is not registered`, "workflow");
      }
      checkInput(workflow, request.input);
      await deps.beforeStart?.();
      const key = request.idempotencyKey;
      const started = await startRun(
        { log: deps.log, queue: deps.queue, clock: deps.clock, newId: deps.newId },
        {
          workflow,
          input: request.input,
          ...(key !== undefined && { idempotencyKey: key }),
          ...(request.trace !== undefined && { trace: request.trace }),
        },
      ).catch((error: unknown) => {
        const redactor = createSensitiveRedactor(workflow.sensitive);
        redactor.learn("input", request.input);
        throw scrubError(error, redactor);
      });
      const state = await loadState(started.runId).catch(() => {
        throw new MissingRunError(`run ${started.runId} not found`);
      });
      // Same key, different request: the client is confused; refuse rather than guess.
      const same =
        state.workflow === workflow.name &&
        state.version === workflow.version &&
        isDeepStrictEqual(state.input, request.input);
      if (!started.created && !same) {
        throw problem(
          422,
          "idempotency_key_reused",
          `Idempotency-Key "${key}" was used for a different request`,
        );
      }
      return { state: await shown(state), created: started.created };
    },

    async list(authorize, request) {
      const { workflow, status, cursor } = request;
      if (status !== undefined && !RUN_STATUSES.includes(status as RunStatus)) {
        throw problem(
          400,
          "invalid_query",
          `status must be one of ${RUN_STATUSES.join(", ")}`,
          "status",
        );
      }
      const limit = request.limit ?? 50;
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw problem(400, "invalid_query", "limit must be an integer from 1 to 1000", "limit");
      }
      authorize("runs:read", workflow ?? "*");
      return deps.log.list({
        limit,
        ...(workflow !== undefined && { workflow }),
        ...(status !== undefined && { status: status as RunStatus }),
        ...(cursor !== undefined && { cursor }),
      });
    },

    read: async (authorize, runId) => shown(await authorized(authorize, "runs:read", runId)),

    async cancel(authorize, runId, reason) {
      const state = await authorized(authorize, "runs:cancel", runId);
      return shown(await masking(state, () => cancelRun(controlDeps, runId, reason)));
    },

    async redrive(authorize, runId, options) {
      const before = await authorized(authorize, "runs:redrive", runId);
      const state = await masking(before, () => redriveRun(controlDeps, runId, options)).catch(
        (error: unknown) => {
          throw redriveProblem(error) ?? error;
        },
      );
      return shown(state);
    },

    async signal(authorize, runId, name, payload) {
      const state = await authorized(authorize, "runs:signal", runId);
      const signalled = await masking(
        state,
        () => signalRun(controlDeps, runId, name, payload),
        (redactor, workflow) => {
          // The payload becomes the output of the step that waits for it.
          const step = workflow.steps.find((s) => s.waitFor?.signal === name);
          if (step?.output !== undefined) redactor.learn(step.output, payload);
        },
      );
      return shown(signalled);
    },

    async events(authorize, runId, afterSeq, signal) {
      const state = await authorized(authorize, "runs:read", runId);
      if (!deps.log.events) {
        throw problem(501, "not_supported", "this store does not serve event streams");
      }
      const workflow = await deps.workflows.get(state.workflow, state.version);
      const after = Number.isInteger(afterSeq) && afterSeq > 0 ? afterSeq : 0;
      const events = follow(runId, after, signal);
      return workflow ? redacted(events, createEventRedactor(workflow, state)) : events;
    },
  };
}
