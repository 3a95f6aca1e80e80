/**
 * The run operations as a Connect service (proto/maestro/v1/runs.proto), mounted in the
 * same Hono app: Connect and gRPC-web work through fetch (so behind API Gateway too), and
 * `buf curl` or any generated client can drive Maestro. With auth on, the service needs the
 * action's rights on every workflow (`*`), since a policy by name is checked per route.
 */
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createConnectRouter } from "@connectrpc/connect";
import { createFetchHandler } from "@connectrpc/connect/protocol";
import type { Hono } from "hono";
import { fold, type RunState } from "../engine/state.js";
import { RunService } from "../gen/maestro/v1/runs_pb.js";
import { startRun } from "../runtime/start-run.js";
import type { ApiDeps } from "./app.js";
import type { Action, Auth } from "./auth.js";
import { checkInput } from "./input-schema.js";
import { ProblemError } from "./problem.js";

function toRun(state: RunState) {
  return {
    id: state.runId,
    workflow: state.workflow,
    version: state.version,
    status: state.status,
    ...(state.output !== undefined && { output: fromJson(ValueSchema, state.output as JsonValue) }),
    error: state.failure?.error.message ?? "",
  };
}

export function connectRoutes(app: Hono, deps: ApiDeps, auth: Auth): void {
  const router = createConnectRouter();
  router.service(RunService, {
    async startRun(request) {
      const workflow = request.version
        ? await deps.workflows.get(request.workflow, request.version)
        : await deps.workflows.latest(request.workflow);
      if (!workflow)
        throw new ConnectError(`workflow ${request.workflow} is not registered`, Code.NotFound);
      // protobuf-es maps a google.protobuf.Struct field to plain JSON.
      const input: JsonValue = request.input ?? {};
      try {
        checkInput(workflow, input);
      } catch (error) {
        if (error instanceof ProblemError)
          throw new ConnectError(error.problem.detail, Code.InvalidArgument);
        throw error;
      }
      const started = await startRun(
        { log: deps.log, queue: deps.queue, clock: deps.clock, newId: deps.newId },
        {
          workflow,
          input,
          ...(request.idempotencyKey !== "" && { idempotencyKey: request.idempotencyKey }),
        },
      );
      const loaded = await deps.log.load(started.runId);
      const state = loaded && fold(loaded.snapshot, loaded.events);
      if (!state) throw new ConnectError(`run ${started.runId} not found`, Code.Internal);
      return { run: toRun(state) };
    },
    async getRun(request) {
      const loaded = await deps.log.load(request.runId);
      const state = loaded && fold(loaded.snapshot, loaded.events);
      if (!state) throw new ConnectError(`run ${request.runId} not found`, Code.NotFound);
      return { run: toRun(state) };
    },
  });
  const actions: Record<string, Action> = { StartRun: "runs:start", GetRun: "runs:read" };
  for (const handler of router.handlers) {
    const fetchHandler = createFetchHandler(handler);
    const action = actions[handler.method.name] ?? "runs:read";
    app.post(handler.requestPath, auth.middleware, async (c) => {
      auth.authorize(c, action, "*");
      return fetchHandler(c.req.raw);
    });
  }
}
