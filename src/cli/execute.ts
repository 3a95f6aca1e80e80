import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { createMemoryGuardStore } from "../adapters/memory/memory-guard-store.js";
import { createMemorySagaLog } from "../adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../adapters/memory/memory-task-queue.js";
import { createLocalSecrets } from "../adapters/secrets/local-secrets.js";
import { createConnectCaller } from "../callers/connect-caller.js";
import { dispatchByType } from "../callers/dispatch.js";
import { createHttpCaller } from "../callers/http-caller.js";
import { redactRunState } from "../engine/sensitive-run.js";
import type { RunState } from "../engine/state.js";
import type { Logger } from "../ports/logger.js";
import { createCallGuard } from "../resilience/index.js";
import { createLocalRuntime } from "../runtime/local-runtime.js";
import { staticWorkflows } from "../runtime/workflow-source.js";
import { createJsonLogger } from "../util/json-logger.js";
import { formatDiagnostic } from "../workflow/diagnostics.js";
import { parseEndpointFile, parseEndpointPairs, withEndpoints } from "../workflow/endpoints.js";
import { loadWorkflowFile } from "../workflow/load.js";
import type { Workflow } from "../workflow/model.js";
import { type CliIo, EXIT, UsageError } from "./io.js";
import type { Command } from "./main.js";
import { createProgressLogger } from "./progress.js";
import { startTracing } from "./tracing-sdk.js";

async function readInput(
  values: { input?: string; "input-file"?: string },
  cwd: string,
): Promise<unknown> {
  if (values.input !== undefined && values["input-file"] !== undefined) {
    throw new UsageError("give --input or --input-file, not both");
  }
  let text = values.input;
  let origin = "--input";
  if (values["input-file"] !== undefined) {
    origin = values["input-file"];
    try {
      text = await readFile(resolve(cwd, origin), "utf8");
    } catch (error) {
      throw new UsageError(`cannot read ${origin}: ${(error as Error).message}`);
    }
  }
  if (text === undefined) return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${origin} is not JSON: ${(error as Error).message}`);
  }
}

async function overrides(values: { endpoint?: string[]; "endpoints-file"?: string }, io: CliIo) {
  const all = new Map<string, string[]>();
  try {
    const fromEnv = io.env.MAESTRO_ENDPOINTS?.split(",").filter((p) => p.trim() !== "") ?? [];
    for (const [k, v] of parseEndpointPairs(fromEnv)) all.set(k, v);
    const file = values["endpoints-file"];
    if (file !== undefined) {
      const text = await readFile(resolve(io.cwd, file), "utf8");
      for (const [k, v] of parseEndpointFile(text, file)) all.set(k, v);
    }
    for (const [k, v] of parseEndpointPairs(values.endpoint ?? [])) all.set(k, v);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return all;
}

/** What `execute` prints: the run's result, and on failure what failed and what was undone. */
export function summarize(workflow: Workflow, run: RunState): Record<string, unknown> {
  // What is printed is what a reader of the API would see: sensitive values masked.
  const state = redactRunState(workflow, run);
  const summary: Record<string, unknown> = { runId: state.runId, status: state.status };
  if (state.status === "succeeded") summary.output = state.output ?? null;
  if (state.failure) {
    if (state.failure.stepId !== undefined) summary.failedStep = state.failure.stepId;
    summary.error = { code: state.failure.error.code, message: state.failure.error.message };
  }
  const undone = workflow.steps
    .map((s) => ({ id: s.id, c: state.steps[s.id]?.compensation }))
    .filter((x) => x.c !== undefined);
  if (undone.length > 0) {
    summary.compensated = undone
      .filter((x) => x.c?.status === "succeeded")
      .sort((a, b) => (a.c?.finishedAt ?? 0) - (b.c?.finishedAt ?? 0))
      .map((x) => x.id);
    const failed = undone.filter((x) => x.c?.status === "failed");
    if (failed.length > 0) {
      summary.compensationFailed = failed.map((x) => ({ step: x.id, error: x.c?.error?.message }));
    }
  }
  return summary;
}

export const executeCommand: Command = {
  summary:
    "Run a workflow in this process until it finishes; print {runId, status, output} as JSON.",
  usage:
    "maestro execute FILE [--input JSON | --input-file F] [--endpoint SERVICE=URL]... [--endpoints-file F] [--secrets-dir DIR] [--otel-endpoint URL] [--debug]",
  async run(args, io) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        input: { type: "string" },
        "input-file": { type: "string" },
        endpoint: { type: "string", multiple: true },
        "endpoints-file": { type: "string" },
        "secrets-dir": { type: "string" },
        debug: { type: "boolean", default: false },
        "otel-endpoint": { type: "string" },
      },
    });
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0)
      throw new UsageError("name exactly one workflow file");
    const input = await readInput(values, io.cwd);
    const endpointOverrides = await overrides(values, io);
    const loaded = await loadWorkflowFile(resolve(io.cwd, file));
    if (!loaded.ok) {
      for (const d of loaded.diagnostics) io.stderr(`${formatDiagnostic({ ...d, file })}\n`);
      return EXIT.failed;
    }
    let workflow: Workflow;
    try {
      workflow = withEndpoints(loaded.workflow, endpointOverrides);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const logger: Logger =
      io.stderrIsTty && !values.debug
        ? createProgressLogger(io.stderr)
        : createJsonLogger({
            level: values.debug ? "debug" : "info",
            write: (l) => io.stderr(`${l}\n`),
          });
    const tracing = await startTracing(values["otel-endpoint"], io.env);
    const queue = createMemoryTaskQueue();
    const connect = createConnectCaller();
    const runtime = createLocalRuntime({
      log: createMemorySagaLog(),
      queue,
      caller: dispatchByType({
        http: createHttpCaller(),
        grpc: connect,
        connect,
        "grpc-web": connect,
      }),
      workflows: staticWorkflows([workflow]),
      guard: createCallGuard({ store: createMemoryGuardStore(), logger }),
      secrets: createLocalSecrets({
        env: io.env,
        ...(values["secrets-dir"] !== undefined && { dir: resolve(io.cwd, values["secrets-dir"]) }),
      }),
      logger,
      concurrency: 8,
      sweepEveryMs: 1_000,
      stallMs: 5_000 + Math.max(...[...workflow.services.values()].map((s) => s.timeoutMs), 0),
    });
    runtime.start();
    try {
      const { runId } = await runtime.startRun({ workflow, input });
      logger.info("run started", { runId, workflow: workflow.name, version: workflow.version });
      const state = await runtime.waitForRun(runId, { timeoutMs: workflow.timeoutMs + 60_000 });
      logger.info("run finished", { runId, status: state.status });
      io.stdout(`${JSON.stringify(summarize(workflow, state))}\n`);
      return state.status === "succeeded" ? EXIT.ok : EXIT.failed;
    } finally {
      queue.close();
      await runtime.stop();
      await connect.close();
      await tracing?.shutdown();
    }
  },
};
