/**
 * `maestro serve` as a function: the API, the worker pool with its sweeper, and the
 * scheduler, in one process on one store. Tests start it in-process; the CLI wraps it.
 */
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { createMemoryGuardStore } from "../adapters/memory/memory-guard-store.js";
import { createApi } from "../api/app.js";
import type { Auth } from "../api/auth.js";
import { refuseOnOverflow } from "../api/overflow.js";
import { createMetrics, observedLog } from "../observability/metrics.js";
import type { CallGuard } from "../ports/call-guard.js";
import { type Clock, systemClock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { SecretStore } from "../ports/secrets.js";
import type { ServiceCaller } from "../ports/service-caller.js";
import { createCallGuard } from "../resilience/index.js";
import { createLocalRuntime, type LocalRuntime } from "../runtime/local-runtime.js";
import { registryCatalog } from "../runtime/registry-catalog.js";
import { createScheduler } from "../runtime/scheduler.js";
import { staticWorkflows } from "../runtime/workflow-source.js";
import type { Workflow } from "../workflow/model.js";
import { healthRoutes, storeCheck } from "./health.js";
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
  const log = observedLog(store.log, metrics, workflows);
  const runtime = createLocalRuntime({
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
  const app = createApi({
    log,
    queue: store.queue,
    workflows,
    registry: store.registry,
    clock,
    logger,
    newId: randomUUID,
    ...(options.auth && { auth: options.auth }),
    ...(options.maxBacklog !== undefined && {
      beforeStart: refuseOnOverflow({ depth: () => store.depth() }, options.maxBacklog),
    }),
    extend: (a) => healthRoutes(a, [storeCheck(store.log)], metrics, () => store.depth()),
  });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve(
      { fetch: app.fetch, port: options.port ?? 8080, hostname: options.host ?? "127.0.0.1" },
      () => resolve(s),
    );
  });
  runtime.start();
  scheduler.start();
  const address = server.address() as AddressInfo;
  const url = `http://${options.host ?? "127.0.0.1"}:${address.port}`;
  logger.info("maestro serving", { url, store: store.kind });
  return {
    url,
    runtime,
    async close() {
      scheduler.stop();
      await new Promise<void>((resolve) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      });
      // Stop handing out tasks, let the tasks in hand finish, then close the store.
      store.release();
      await runtime.stop();
      await store.close();
    },
  };
}
