/**
 * `maestro serve` as a function: the API, the worker pool with its sweeper, and the
 * scheduler, in one process on one store. Tests start it in-process; the CLI wraps it.
 * The port speaks HTTP/1.1 (the JSON API, Connect, gRPC-web) and cleartext HTTP/2 with
 * prior knowledge (native gRPC and Connect on RunService, the JSON API too).
 */

import { randomUUID } from "node:crypto";
import type { Http2ServerResponse } from "node:http2";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { getRequestListener } from "@hono/node-server";
import { createMemoryGuardStore } from "../adapters/memory/memory-guard-store.js";
import { sealedSagaLog } from "../adapters/sealing/sealed-saga-log.js";
import { type ApiDeps, createApi } from "../api/app.js";
import type { Auth } from "../api/auth.js";
import { routerOptions, runServiceRoutes } from "../api/connect-service.js";
import { refuseOnOverflow } from "../api/overflow.js";
import { createRunOperations } from "../api/run-operations.js";
import { createMetrics, type Metrics, observedLog } from "../observability/metrics.js";
import type { CallGuard } from "../ports/call-guard.js";
import { type Clock, systemClock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { SecretStore } from "../ports/secrets.js";
import type { ServiceCaller } from "../ports/service-caller.js";
import { createCallGuard } from "../resilience/index.js";
import { createLocalRuntime, type LocalRuntime } from "../runtime/local-runtime.js";
import { registryCatalog } from "../runtime/registry-catalog.js";
import { createRunAdmission, restoreRunSlots } from "../runtime/run-admission.js";
import { createScheduler } from "../runtime/scheduler.js";
import { staticWorkflows } from "../runtime/workflow-source.js";
import type { Workflow } from "../workflow/model.js";
import { type HealthOptions, healthRoutes, storeCheck } from "./health.js";
import { listenOnePort } from "./one-port.js";
import type { Store } from "./stores.js";

export interface ServerOptions {
  readonly port?: number;
  readonly host?: string;
  readonly store: Store;
  readonly caller: ServiceCaller;
  readonly logger: Logger;
  /** Workflow files to serve besides those registered through the API. */
  readonly workflows?: readonly Workflow[];
  readonly auth?: Auth;
  readonly secrets?: SecretStore;
  readonly clock?: Clock;
  readonly concurrency?: number;
  /** @default 10s */
  readonly sweepEveryMs?: number;
  readonly stallMs?: number;
  /** Circuit breakers, rate limits and concurrency caps. @default one in this process's memory */
  readonly guard?: CallGuard;
  /** Refuse new runs with 429 while more tasks than this wait. @default no bound */
  readonly maxBacklog?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly runtime: LocalRuntime;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const { store, logger } = options;
  const workflows = registryCatalog(store.registry, staticWorkflows(options.workflows ?? []));
  const metrics = createMetrics();
  const log = observedLog(
    store.sealing ? sealedSagaLog(store.log, { keys: store.sealing, workflows }) : store.log,
    metrics,
    workflows,
  );
  // Slots live in this process; the runs that hold them are in the store, which may be durable.
  const admission = createRunAdmission({ store: createMemoryGuardStore(), clock, logger });
  await restoreRunSlots({ log, workflows, admission });
  const runtime = createLocalRuntime({
    admission,
    log,
    queue: store.queue,
    caller: options.caller,
    workflows,
    clock,
    logger,
    ...(options.secrets && { secrets: options.secrets }),
    guard:
      options.guard ??
      createCallGuard({
        store: createMemoryGuardStore(),
        clock,
        logger,
        counters: metrics.counters,
      }),
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
    sweepEveryMs: options.sweepEveryMs ?? 10_000,
    ...(options.stallMs !== undefined && { stallMs: options.stallMs }),
  });
  // The scheduler re-reads the catalog, so workflows registered while serving get their schedules.
  const scheduler = createScheduler(
    { log, queue: store.queue, clock, logger, newId: randomUUID },
    () => workflows.list(),
  );
  const apiDeps: ApiDeps = {
    log,
    queue: store.queue,
    workflows,
    registry: store.registry,
    clock,
    logger,
    newId: randomUUID,
    admission,
    ...(options.auth && { auth: options.auth }),
    ...(options.maxBacklog !== undefined && {
      beforeStart: refuseOnOverflow({ depth: () => store.depth() }, options.maxBacklog, (reason) =>
        metrics.runsRefused.inc({ reason }),
      ),
    }),
    extend: (a) => healthRoutes(a, localHealth(store, metrics, options.maxBacklog)),
  };
  const http = getRequestListener(createApi(apiDeps).fetch);
  // HTTP/2 connections get RunService natively (gRPC too); their other requests go to Hono.
  const server = await listenOnePort({
    port: options.port ?? 8080,
    host: options.host ?? "127.0.0.1",
    http1: http,
    http2: connectNodeAdapter({
      routes: runServiceRoutes(apiDeps, createRunOperations(apiDeps)),
      ...routerOptions(apiDeps),
      // connect-node's response type only loosens `write`'s callback; the object is Node's own.
      fallback: (request, response) => http(request, response as unknown as Http2ServerResponse),
    }),
  });
  runtime.start();
  scheduler.start();
  const url = `http://${options.host ?? "127.0.0.1"}:${server.port}`;
  logger.info("maestro serving", { url, store: store.kind });
  return {
    url,
    runtime,
    async close() {
      scheduler.stop();
      await server.close();
      // Stop handing out tasks, let the tasks in hand finish, then close the store.
      store.release();
      await runtime.stop();
      await store.close();
    },
  };
}

/** The local server's readiness (store, queue) and its prom-client metrics. */
function localHealth(store: Store, metrics: Metrics, bound: number | undefined): HealthOptions {
  if (bound !== undefined) metrics.backlogBound.set(bound);
  return {
    checks: [storeCheck(store.log)],
    backlog: { depth: () => store.depth(), ...(bound !== undefined && { bound }) },
    async metrics(depth) {
      if (depth !== undefined) metrics.queueDepth.set(depth);
      return { body: await metrics.registry.metrics(), contentType: metrics.registry.contentType };
    },
  };
}
