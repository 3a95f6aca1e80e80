/**
 * The HTTP API, one Hono app for the local server and the `api` Lambda. Handlers
 * translate HTTP to the same start-run, read and control paths the CLI uses.
 */

import { bodyLimit } from "hono/body-limit";
import { Hono } from "hono/tiny";
import { MaestroError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { SagaLog } from "../ports/saga-log.js";
import type { TaskSender } from "../ports/task-queue.js";
import type { WorkflowRegistry } from "../ports/workflow-registry.js";
import type { RunAdmission } from "../runtime/run-admission.js";
import { MissingRunError } from "../runtime/run-context.js";
import type { WorkflowCatalog } from "../runtime/workflow-source.js";
import { type Auth, noAuth } from "./auth.js";
import { connectRoutes } from "./connect-service.js";
import { openApiRoutes } from "./openapi.js";
import { ProblemError, sendProblem } from "./problem.js";
import { createRunOperations } from "./run-operations.js";
import { runRoutes } from "./run-routes.js";
import { uiRoutes } from "./ui/ui-routes.js";
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
  /** JWT authentication and the authorization policy. @default off */
  readonly auth?: Auth;
  /** Largest request body accepted. @default 256 KiB */
  readonly maxBodyBytes?: number;
  /** Called before a run starts, over HTTP or Connect; throw a problem to refuse it (e.g. 429 on overflow). */
  readonly beforeStart?: () => void | Promise<void>;
  /** Workflows' concurrency limits: a run that a cancel ends gives its slot back. @default none */
  readonly admission?: RunAdmission;
  /** Extra routes (health, metrics, UI) mounted by the runtime that serves the app. */
  readonly extend?: (app: Hono) => void;
}

export function createApi(deps: ApiDeps): Hono {
  const app = new Hono();
  const auth = deps.auth ?? noAuth;

  app.onError((error, c) => {
    if (error instanceof ProblemError) return sendProblem(c, error.problem, error.headers);
    if (error instanceof MissingRunError) {
      return sendProblem(c, { status: 404, code: "not_found", detail: error.message });
    }
    if (error instanceof MaestroError && error.code === "failed_precondition") {
      return sendProblem(c, { status: 409, code: "conflict", detail: error.message });
    }
    if (error instanceof MaestroError && error.code === "not_found") {
      return sendProblem(c, { status: 404, code: "not_found", detail: error.message });
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
  openApiRoutes(app);
  deps.extend?.(app);

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
  app.use("/v1/*", auth.middleware);

  if (deps.registry) workflowRoutes(app, deps.registry, () => deps.clock.now(), auth);
  const runs = createRunOperations(deps);
  runRoutes(app, deps, auth, runs);
  connectRoutes(app, deps, runs);
  uiRoutes(app, deps, auth);
  return app;
}
