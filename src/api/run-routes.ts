/** Run routes: start (idempotent), read with timeline, list, cancel, redrive, signal. */
import { isDeepStrictEqual } from "node:util";
import type { Context, Hono } from "hono";
import { RUN_STATUSES, type RunStatus } from "../engine/events.js";
import { fold, type RunState } from "../engine/state.js";
import { timeline } from "../engine/timeline.js";
import { MissingRunError } from "../runtime/run-context.js";
import { cancelRun, redriveRun, signalRun } from "../runtime/run-control.js";
import { startRun } from "../runtime/start-run.js";
import type { ApiDeps } from "./app.js";
import type { Auth } from "./auth.js";
import { streamRunEvents } from "./event-stream.js";
import { checkInput } from "./input-schema.js";
import { problem } from "./problem.js";
import { parseRedrive, redriveProblem } from "./redrive-request.js";

interface StartBody {
  workflow: string;
  version?: string;
  input?: unknown;
}

function parseStart(body: unknown): StartBody {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw problem(
      400,
      "invalid_body",
      "the body must be a JSON object {workflow, version?, input}",
    );
  }
  const { workflow, version, input, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined)
    throw problem(400, "unknown_field", `unknown field "${unknown}"`, unknown);
  if (typeof workflow !== "string" || workflow === "") {
    throw problem(400, "invalid_field", "workflow must be a workflow name", "workflow");
  }
  if (version !== undefined && typeof version !== "string") {
    throw problem(400, "invalid_field", "version must be a string", "version");
  }
  return { workflow, ...(version !== undefined && { version }), input: input ?? {} };
}

export function runSummary(state: RunState) {
  return {
    runId: state.runId,
    workflow: state.workflow,
    version: state.version,
    status: state.status,
  };
}

export function runRoutes(app: Hono, deps: ApiDeps, auth: Auth): void {
  const controlDeps = {
    log: deps.log,
    queue: deps.queue,
    workflows: deps.workflows,
    clock: deps.clock,
  };

  async function loadState(runId: string): Promise<RunState> {
    const loaded = await deps.log.load(runId);
    const state = loaded && fold(loaded.snapshot, loaded.events);
    if (!state) throw problem(404, "not_found", `run ${runId} not found`);
    return state;
  }

  /** Loads a run and checks the caller may act on its workflow. */
  async function authorized(c: Context, action: Parameters<Auth["authorize"]>[1]) {
    const state = await loadState(c.req.param("id") ?? "");
    auth.authorize(c, action, state.workflow);
    return state;
  }

  app.post("/v1/runs", async (c) => {
    const raw = await c.req.json().catch(() => {
      throw problem(400, "invalid_json", "the body is not JSON");
    });
    const request = parseStart(raw);
    auth.authorize(c, "runs:start", request.workflow);
    const workflow = request.version
      ? await deps.workflows.get(request.workflow, request.version)
      : await deps.workflows.latest(request.workflow);
    if (!workflow) {
      const which = request.version ? `${request.workflow}@${request.version}` : request.workflow;
      throw problem(404, "workflow_not_found", `workflow ${which} is not registered`, "workflow");
    }
    checkInput(workflow, request.input);
    await deps.beforeStart?.(c);
    const key = c.req.header("idempotency-key");
    const started = await startRun(
      { log: deps.log, queue: deps.queue, clock: deps.clock, newId: deps.newId },
      { workflow, input: request.input, ...(key !== undefined && { idempotencyKey: key }) },
    );
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
    return c.json(runSummary(state), started.created ? 201 : 200);
  });

  app.get("/v1/runs", async (c) => {
    const { workflow, status, limit, cursor } = c.req.query();
    if (status !== undefined && !RUN_STATUSES.includes(status as RunStatus)) {
      throw problem(
        400,
        "invalid_query",
        `status must be one of ${RUN_STATUSES.join(", ")}`,
        "status",
      );
    }
    const max = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(max) || max < 1 || max > 1000) {
      throw problem(400, "invalid_query", "limit must be an integer from 1 to 1000", "limit");
    }
    auth.authorize(c, "runs:read", workflow ?? "*");
    const page = await deps.log.list({
      limit: max,
      ...(workflow !== undefined && { workflow }),
      ...(status !== undefined && { status: status as RunStatus }),
      ...(cursor !== undefined && { cursor }),
    });
    return c.json({
      runs: page.runs.map((r) => ({
        runId: r.runId,
        workflow: r.workflow,
        version: r.version,
        status: r.status,
        createdAt: new Date(r.createdAt).toISOString(),
        updatedAt: new Date(r.updatedAt).toISOString(),
      })),
      ...(page.cursor !== undefined && { cursor: page.cursor }),
    });
  });

  app.get("/v1/runs/:id", async (c) => {
    const state = await authorized(c, "runs:read");
    const workflow = await deps.workflows.get(state.workflow, state.version);
    return c.json({
      ...runSummary(state),
      createdAt: new Date(state.createdAt).toISOString(),
      updatedAt: new Date(state.updatedAt).toISOString(),
      input: state.input,
      ...(state.output !== undefined && { output: state.output }),
      ...(state.failure && { error: { ...state.failure.error, stepId: state.failure.stepId } }),
      steps: workflow ? timeline(workflow, state) : [],
    });
  });

  app.get("/v1/runs/:id/events", async (c) => {
    const state = await authorized(c, "runs:read");
    return streamRunEvents(c, deps.log, state.runId);
  });

  app.post("/v1/runs/:id/signals/:name", async (c) => {
    await authorized(c, "runs:signal");
    const text = await c.req.text();
    let payload: unknown = null;
    if (text.trim() !== "") {
      try {
        payload = JSON.parse(text);
      } catch {
        throw problem(400, "invalid_json", "the signal's payload is not JSON");
      }
    }
    const state = await signalRun(controlDeps, c.req.param("id"), c.req.param("name"), payload);
    return c.json(runSummary(state), 202);
  });

  app.post("/v1/runs/:id/cancel", async (c) => {
    await authorized(c, "runs:cancel");
    const state = await cancelRun(controlDeps, c.req.param("id"));
    return c.json(runSummary(state), 202);
  });

  app.post("/v1/runs/:id/redrive", async (c) => {
    await authorized(c, "runs:redrive");
    const options = await parseRedrive(c);
    const state = await redriveRun(controlDeps, c.req.param("id"), options).catch((error) => {
      throw redriveProblem(error) ?? error;
    });
    return c.json(runSummary(state), 202);
  });
}
