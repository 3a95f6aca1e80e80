/**
 * The run operations as a Connect service (proto/maestro/v1/runs.proto). The same routes
 * serve two ways: mounted in the Hono app through fetch (Connect and gRPC-web, so behind
 * API Gateway too), and on the local server's HTTP/2 port (native gRPC as well). Each call
 * verifies the JWT in its `authorization` header or metadata and is authorized per action
 * and workflow exactly as the HTTP route is, through the shared run operations.
 */

import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { timestampFromMs, ValueSchema } from "@bufbuild/protobuf/wkt";
import {
  type ConnectRouter,
  type ConnectRouterOptions,
  createConnectRouter,
  type HandlerContext,
} from "@connectrpc/connect";
import { createFetchHandler } from "@connectrpc/connect/protocol";
import type { Hono } from "hono";
import type { RunState } from "../engine/state.js";
import { runWaitingFor } from "../engine/timeline.js";
import { RunService } from "../gen/maestro/v1/runs_pb.js";
import type { RunHeader } from "../ports/saga-log.js";
import type { ApiDeps } from "./app.js";
import { type Auth, type Grant, noAuth } from "./auth.js";
import { toConnectError } from "./connect-errors.js";
import { traceOf } from "./incoming-trace.js";
import type { Authorize, RunOperations } from "./run-operations.js";

/** The Value a JSON value maps to; `undefined` stays unset. */
const value = (json: unknown) =>
  json === undefined ? undefined : fromJson(ValueSchema, json as JsonValue);

function toRun(state: RunState) {
  return {
    id: state.runId,
    workflow: state.workflow,
    version: state.version,
    status: state.status,
    input: value(state.input),
    output: value(state.output),
    error: state.failure?.error.message ?? "",
    errorCode: state.failure?.error.code ?? "",
    failedStep: state.failure?.stepId ?? "",
    waitingFor: runWaitingFor(state) ?? "",
    createdAt: timestampFromMs(state.createdAt),
    updatedAt: timestampFromMs(state.updatedAt),
  };
}

function toSummary(header: RunHeader) {
  return {
    id: header.runId,
    workflow: header.workflow,
    version: header.version,
    status: header.status,
    createdAt: timestampFromMs(header.createdAt),
    updatedAt: timestampFromMs(header.updatedAt),
  };
}

/** Proto3 has no "unset" for strings: empty means absent. */
const given = <K extends string>(key: K, text: string) =>
  (text === "" ? {} : { [key]: text }) as Partial<Record<K, string>>;

/**
 * The RunService routes, for `createConnectRouter` users and `connectNodeAdapter({ routes })`.
 * @param deps.maxBodyBytes also bounds each request message (default 256 KiB).
 */
export function runServiceRoutes(
  deps: Pick<ApiDeps, "auth" | "logger">,
  runs: RunOperations,
): (router: ConnectRouter) => void {
  const auth: Auth = deps.auth ?? noAuth;
  /** Runs one call, turning whatever it throws into a Connect error. */
  async function call<T>(
    ctx: HandlerContext,
    body: (authorize: Authorize, grant: Grant) => Promise<T>,
  ) {
    try {
      const grant = await auth.verify(ctx.requestHeader.get("authorization") ?? undefined);
      return await body((action, workflow) => grant.check(action, workflow), grant);
    } catch (error) {
      throw toConnectError(error, deps.logger, ctx.method.name);
    }
  }

  return (router) =>
    router.service(RunService, {
      startRun: (request, ctx) =>
        call(ctx, async (authorize) => {
          const { state, created } = await runs.start(authorize, {
            workflow: request.workflow,
            ...given("version", request.version),
            // protobuf-es maps a google.protobuf.Struct field to plain JSON.
            input: request.input ?? {},
            ...given("idempotencyKey", request.idempotencyKey),
            ...traceOf(ctx.requestHeader),
          });
          return { run: toRun(state), created };
        }),
      getRun: (request, ctx) =>
        call(ctx, async (authorize) => ({ run: toRun(await runs.read(authorize, request.runId)) })),
      listRuns: (request, ctx) =>
        call(ctx, async (authorize) => {
          const page = await runs.list(authorize, {
            ...given("workflow", request.workflow),
            ...given("status", request.status),
            ...(request.limit !== 0 && { limit: request.limit }),
            ...given("cursor", request.cursor),
          });
          return { runs: page.runs.map(toSummary), nextCursor: page.cursor ?? "" };
        }),
      cancelRun: (request, ctx) =>
        call(ctx, async (authorize) => {
          const reason = request.reason === "" ? undefined : request.reason;
          return { run: toRun(await runs.cancel(authorize, request.runId, reason)) };
        }),
      redriveRun: (request, ctx) =>
        call(ctx, async (authorize, grant) => {
          const options = {
            ...given("version", request.version),
            ...given("reason", request.reason),
            ...(grant.subject !== undefined && { by: grant.subject }),
          };
          return { run: toRun(await runs.redrive(authorize, request.runId, options)) };
        }),
      signalRun: (request, ctx) =>
        call(ctx, async (authorize) => {
          const payload = request.payload ? toJson(ValueSchema, request.payload) : null;
          return { run: toRun(await runs.signal(authorize, request.runId, request.name, payload)) };
        }),
      async *streamRunEvents(request, ctx) {
        const events = await call(ctx, (authorize) =>
          runs.events(authorize, request.runId, request.afterSeq, ctx.signal),
        );
        try {
          for await (const event of events) {
            yield {
              event: {
                seq: event.seq,
                type: event.type,
                at: timestampFromMs(event.at),
                // The event as the SSE stream sends it: JSON, without undefined fields.
                data: JSON.parse(JSON.stringify(event)),
              },
            };
          }
        } catch (error) {
          throw toConnectError(error, deps.logger, ctx.method.name);
        }
      },
    });
}

/** Options for the routers that serve RunService, wherever they are mounted. */
export function routerOptions(deps: Pick<ApiDeps, "maxBodyBytes">): ConnectRouterOptions {
  return { readMaxBytes: deps.maxBodyBytes ?? 256 * 1024 };
}

/** Mounts the RunService routes in the Hono app (Connect and gRPC-web through fetch). */
export function connectRoutes(app: Hono, deps: ApiDeps, runs: RunOperations): void {
  const router = createConnectRouter(routerOptions(deps));
  runServiceRoutes(deps, runs)(router);
  for (const handler of router.handlers) {
    const fetchHandler = createFetchHandler(handler);
    app.post(handler.requestPath, (c) => fetchHandler(c.req.raw));
  }
}
