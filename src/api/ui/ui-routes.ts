/**
 * The run pages: `GET /ui/runs/{id}` (and `GET /runs/{id}` for a browser) draws one run,
 * `GET /ui/runs` lists recent ones. Reading a page needs what reading the run on /v1 needs:
 * the same token, and `runs:read` on the run's workflow.
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { RUN_STATUSES, type RunStatus } from "../../engine/events.js";
import { redactRunState } from "../../engine/sensitive-run.js";
import { fold, type RunState } from "../../engine/state.js";
import type { Clock } from "../../ports/clock.js";
import type { SagaLog } from "../../ports/saga-log.js";
import type { WorkflowCatalog } from "../../runtime/workflow-source.js";
import { prefersHtml } from "../accept.js";
import type { Auth } from "../auth.js";
import { problem } from "../problem.js";
import { CONTENT_SECURITY_POLICY } from "./page-assets.js";
import { missingRunPage, runListPage } from "./run-list-page.js";
import { runPage } from "./run-page.js";
import { runView } from "./run-view.js";

export interface UiDeps {
  readonly log: SagaLog;
  readonly workflows: WorkflowCatalog;
  readonly clock: Clock;
}

/** Sends a page with headers that keep it from being framed, sniffed, cached or leaking. */
export function sendPage(c: Context, html: string, status: ContentfulStatusCode = 200): Response {
  return c.html(html, status, {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
  });
}

/** The page of a run already loaded and authorized (also used by `GET /v1/runs/{id}`). */
export async function sendRunPage(c: Context, deps: UiDeps, state: RunState): Promise<Response> {
  const workflow = await deps.workflows.get(state.workflow, state.version);
  const shown = workflow ? redactRunState(workflow, state) : state;
  return sendPage(c, runPage(runView(workflow, shown), deps.clock.now()));
}

export function uiRoutes(app: Hono, deps: UiDeps, auth: Auth): void {
  const showRun = async (c: Context) => {
    const runId = c.req.param("id") ?? "";
    const loaded = await deps.log.load(runId);
    const state = loaded && fold(loaded.snapshot, loaded.events);
    if (!state) return sendPage(c, missingRunPage(runId), 404);
    auth.authorize(c, "runs:read", state.workflow);
    return sendRunPage(c, deps, state);
  };

  app.use("/ui/*", auth.middleware);
  app.get("/ui/runs/:id", showRun);
  // The short address is for browsers; API clients have /v1/runs/{id} and keep getting JSON.
  app.get(
    "/runs/:id",
    async (c, next) => {
      if (prefersHtml(c.req.header("accept"))) return next();
      const runId = encodeURIComponent(c.req.param("id"));
      throw problem(
        406,
        "not_acceptable",
        `this page is HTML; the run as JSON is GET /v1/runs/${runId}`,
      );
    },
    auth.middleware,
    showRun,
  );

  app.get("/ui/runs", async (c) => {
    const { workflow, status, cursor } = c.req.query();
    if (status !== undefined && !RUN_STATUSES.includes(status as RunStatus)) {
      throw problem(
        400,
        "invalid_query",
        `status must be one of ${RUN_STATUSES.join(", ")}`,
        "status",
      );
    }
    auth.authorize(c, "runs:read", workflow ?? "*");
    const page = await deps.log.list({
      limit: 50,
      ...(workflow !== undefined && { workflow }),
      ...(status !== undefined && { status: status as RunStatus }),
      ...(cursor !== undefined && { cursor }),
    });
    return sendPage(c, runListPage(page, { workflow, status }));
  });
}
