/** Run routes: start (idempotent), read with timeline, list, cancel, redrive, signal, events. */

import type { Context, Hono } from "hono";
import type { RunState } from "../engine/state.js";
import { runWaitingFor, timeline } from "../engine/timeline.js";
import { prefersHtml } from "./accept.js";
import type { ApiDeps } from "./app.js";
import type { Auth } from "./auth.js";
import { resumeAfter, sendRunEvents } from "./event-stream.js";
import { traceOf } from "./incoming-trace.js";
import { problem } from "./problem.js";
import { parseRedrive } from "./redrive-request.js";
import type { Authorize, RunOperations, StartRequest } from "./run-operations.js";
import { sendRunPage } from "./ui/ui-routes.js";

function parseStart(body: unknown): Omit<StartRequest, "idempotencyKey"> {
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

export function runRoutes(app: Hono, deps: ApiDeps, auth: Auth, runs: RunOperations): void {
  const as =
    (c: Context): Authorize =>
    (action, workflow) =>
      auth.authorize(c, action, workflow);
  const id = (c: Context) => c.req.param("id") ?? "";

  app.post("/v1/runs", async (c) => {
    const raw = await c.req.json().catch(() => {
      throw problem(400, "invalid_json", "the body is not JSON");
    });
    const key = c.req.header("idempotency-key");
    const { state, created } = await runs.start(as(c), {
      ...parseStart(raw),
      ...(key !== undefined && { idempotencyKey: key }),
      ...traceOf(c.req.raw.headers),
    });
    return c.json(runSummary(state), created ? 201 : 200);
  });

  app.get("/v1/runs", async (c) => {
    const { workflow, status, limit, cursor } = c.req.query();
    const page = await runs.list(as(c), {
      ...(workflow !== undefined && { workflow }),
      ...(status !== undefined && { status }),
      ...(limit !== undefined && { limit: Number(limit) }),
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
    const state = await runs.read(as(c), id(c));
    // A browser opening the run's API address gets its picture; every other client, JSON.
    c.header("vary", "Accept");
    if (prefersHtml(c.req.header("accept"))) return sendRunPage(c, deps, state);
    const workflow = await deps.workflows.get(state.workflow, state.version);
    return c.json({
      ...runSummary(state),
      createdAt: new Date(state.createdAt).toISOString(),
      updatedAt: new Date(state.updatedAt).toISOString(),
      input: state.input,
      ...(state.output !== undefined && { output: state.output }),
      ...(state.failure && { error: { ...state.failure.error, stepId: state.failure.stepId } }),
      ...(runWaitingFor(state) && { waitingFor: runWaitingFor(state) }),
      steps: workflow ? timeline(workflow, state) : [],
    });
  });

  app.get("/v1/runs/:id/events", async (c) => {
    const abort = new AbortController();
    const events = await runs.events(as(c), id(c), resumeAfter(c), abort.signal);
    return sendRunEvents(c, events, abort);
  });

  app.post("/v1/runs/:id/signals/:name", async (c) => {
    const text = await c.req.text();
    let payload: unknown = null;
    if (text.trim() !== "") {
      try {
        payload = JSON.parse(text);
      } catch {
        throw problem(400, "invalid_json", "the signal's payload is not JSON");
      }
    }
    const state = await runs.signal(as(c), id(c), c.req.param("name"), payload);
    return c.json(runSummary(state), 202);
  });

  app.post("/v1/runs/:id/cancel", async (c) => {
    const state = await runs.cancel(as(c), id(c));
    return c.json(runSummary(state), 202);
  });

  app.post("/v1/runs/:id/redrive", async (c) => {
    const state = await runs.redrive(as(c), id(c), await parseRedrive(c));
    return c.json(runSummary(state), 202);
  });
}
