/**
 * The HTTP API, one Hono app for the local server and the `api` Lambda. Handlers
 * translate HTTP to the same start-run, read and control paths the CLI uses.
 */
import { isDeepStrictEqual } from "node:util";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { fold } from "../engine/state.js";
import { timeline } from "../engine/timeline.js";
import { MaestroError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { SagaLog } from "../ports/saga-log.js";
import type { TaskSender } from "../ports/task-queue.js";
import type { WorkflowRegistry } from "../ports/workflow-registry.js";
import { MissingRunError } from "../runtime/run-context.js";
import { cancelRun, redriveRun } from "../runtime/run-control.js";
import { startRun } from "../runtime/start-run.js";
import type { WorkflowCatalog } from "../runtime/workflow-source.js";
import { ProblemError, problem, sendProblem } from "./problem.js";
import { workflowRoutes } from "./workflow-routes.js";

export interface ApiDeps {
  readonly log: SagaLog;
  readonly queue: TaskSender;
  readonly workflows: WorkflowCatalog;
  /** Where PUT /v1/workflows/… registers definitions; without it, workflows are read-only. */
  readonly registry?: WorkflowRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly newId: () => string;
  /** Largest request body accepted. @default 256 KiB */
  readonly maxBodyBytes?: number;
}

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

export function createApi(deps: ApiDeps): Hono {
  const app = new Hono();
  const controlDeps = {
    log: deps.log,
    queue: deps.queue,
    workflows: deps.workflows,
    clock: deps.clock,
  };

  app.onError((error, c) => {
    if (error instanceof ProblemError) return sendProblem(c, error.problem);
    if (error instanceof MissingRunError)
      return sendProblem(c, { status: 404, code: "not_found", detail: error.message });
    if (error instanceof MaestroError && error.code === "failed_precondition") {
      return sendProblem(c, { status: 409, code: "conflict", detail: error.message });
    }
    deps.logger.error("request failed", { path: c.req.path, error: (error as Error).message });
    return sendProblem(c, { status: 500, code: "internal", detail: "internal error" });
  });
  app.notFound((c) =>
    sendProblem(c, {
      status: 404,
      code: "not_found",
      detail: `no route ${c.req.method} ${c.req.path}`,
    }),
  );

  app.get("/healthz", (c) => c.json({ ok: true }));

  app.use(
    "/v1/*",
    bodyLimit({
      maxSize: deps.maxBodyBytes ?? 256 * 1024,
      onError: (c) =>
        sendProblem(c, {
          status: 413,
          code: "payload_too_large",
          detail: "request body too large",
        }),
    }),
  );

  if (deps.registry) workflowRoutes(app, deps.registry, () => deps.clock.now());

  app.post("/v1/runs", async (c) => {
    const raw = await c.req.json().catch(() => {
      throw problem(400, "invalid_json", "the body is not JSON");
    });
    const request = parseStart(raw);
    const workflow = request.version
      ? await deps.workflows.get(request.workflow, request.version)
      : await deps.workflows.latest(request.workflow);
    if (!workflow) {
      const which = request.version ? `${request.workflow}@${request.version}` : request.workflow;
      throw problem(404, "workflow_not_found", `workflow ${which} is not registered`, "workflow");
    }
    const key = c.req.header("idempotency-key");
    const started = await startRun(
      { log: deps.log, queue: deps.queue, clock: deps.clock, newId: deps.newId },
      { workflow, input: request.input, ...(key !== undefined && { idempotencyKey: key }) },
    );
    const loaded = await deps.log.load(started.runId);
    const state = loaded && fold(loaded.snapshot, loaded.events);
    if (!state) throw new MissingRunError(`run ${started.runId} not found`);
    if (!started.created) {
      // Same key, different request: the client is confused; refuse rather than guess.
      const same =
        state.workflow === workflow.name &&
        state.version === workflow.version &&
        isDeepStrictEqual(state.input, request.input);
      if (!same) {
        throw problem(
          422,
          "idempotency_key_reused",
          `Idempotency-Key "${key}" was used for a different request`,
        );
      }
    }
    return c.json(
      {
        runId: state.runId,
        workflow: state.workflow,
        version: state.version,
        status: state.status,
      },
      started.created ? 201 : 200,
    );
  });

  app.get("/v1/runs/:id", async (c) => {
    const loaded = await deps.log.load(c.req.param("id"));
    const state = loaded && fold(loaded.snapshot, loaded.events);
    if (!state) throw problem(404, "not_found", `run ${c.req.param("id")} not found`);
    const workflow = await deps.workflows.get(state.workflow, state.version);
    return c.json({
      runId: state.runId,
      workflow: state.workflow,
      version: state.version,
      status: state.status,
      createdAt: new Date(state.createdAt).toISOString(),
      updatedAt: new Date(state.updatedAt).toISOString(),
      input: state.input,
      ...(state.output !== undefined && { output: state.output }),
      ...(state.failure && { error: { ...state.failure.error, stepId: state.failure.stepId } }),
      steps: workflow ? timeline(workflow, state) : [],
    });
  });

  app.post("/v1/runs/:id/cancel", async (c) => {
    const state = await cancelRun(controlDeps, c.req.param("id"));
    return c.json({ runId: state.runId, status: state.status }, 202);
  });

  app.post("/v1/runs/:id/redrive", async (c) => {
    const state = await redriveRun(controlDeps, c.req.param("id"));
    return c.json({ runId: state.runId, status: state.status }, 202);
  });

  return app;
}
