/**
 * Orchestration overhead on the local runtime: Maestro driving N no-op HTTP steps versus
 * the same N plain `fetch` calls, in one process, in one run.
 */
import { performance } from "node:perf_hooks";
import { createMemorySagaLog } from "../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../src/adapters/memory/memory-task-queue.js";
import { sealedSagaLog } from "../src/adapters/sealing/sealed-saga-log.js";
import { generateSealingKey, parseSealingKeys } from "../src/adapters/sealing/sealing-keys.js";
import { createHttpCaller } from "../src/callers/http-caller.js";
import type { SagaLog } from "../src/ports/saga-log.js";
import type { ServiceCaller } from "../src/ports/service-caller.js";
import { createLocalRuntime } from "../src/runtime/local-runtime.js";
import { staticWorkflows } from "../src/runtime/workflow-source.js";
import { loadWorkflow } from "../src/workflow/load.js";
import type { Workflow } from "../src/workflow/model.js";

export function sequentialWorkflow(steps: number, url: string): Workflow {
  const body = Array.from(
    { length: steps },
    (_, i) =>
      `  - id: s${i}\n    service: noop\n    method: POST /noop\n    input: { i: ${i} }\n    output: o${i}`,
  ).join("\n");
  return compile(
    `name: seq_${steps}\nversion: "1"\nservices:\n  noop: { type: http, endpoint: "${url}" }\nsteps:\n${body}\n`,
  );
}

/** N steps that each send the run's card number, which the workflow marks `sensitive`. */
export function sensitiveWorkflow(steps: number, url: string): Workflow {
  const body = Array.from(
    { length: steps },
    (_, i) =>
      `  - id: s${i}\n    service: noop\n    method: POST /noop\n    input: { i: ${i}, card: "{{ .input.card }}" }\n    output: o${i}`,
  ).join("\n");
  return compile(
    `name: card_${steps}\nversion: "1"\nsensitive: [input.card]\nservices:\n  noop: { type: http, endpoint: "${url}" }\nsteps:\n${body}\n`,
  );
}

export function fanOutWorkflow(branches: number, url: string): Workflow {
  const members = Array.from(
    { length: branches },
    (_, i) =>
      `      - id: b${i}\n        service: noop\n        method: POST /noop\n        input: { i: ${i} }`,
  ).join("\n");
  return compile(
    `name: fan_${branches}\nversion: "1"\nservices:\n  noop: { type: http, endpoint: "${url}" }\nsteps:\n  - id: fan\n    parallel:\n${members}\n  - id: join\n    service: noop\n    method: POST /noop\n`,
  );
}

function compile(yaml: string): Workflow {
  const result = loadWorkflow(yaml, "bench.yaml");
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
  return result.workflow;
}

export interface CallTimes {
  readonly starts: number[];
  readonly ends: number[];
}

export interface RunOptions {
  readonly input?: unknown;
  /** Seal the workflow's sensitive values in the log, as durable stores do. */
  readonly sealed?: boolean;
  /** How often the bench polls the run's state (each poll is a load). @default 5 */
  readonly pollMs?: number;
}

/**
 * Runs one workflow to the end; returns wall time, CPU time, the caller's call times and
 * the loads the store served beyond those the runtime asked for.
 */
export async function runMaestro(
  workflow: Workflow,
  concurrency: number,
  options: RunOptions = {},
) {
  const http = createHttpCaller();
  const times: CallTimes = { starts: [], ends: [] };
  const caller: ServiceCaller = {
    async call(request) {
      times.starts.push(performance.now());
      const result = await http.call(request);
      times.ends.push(performance.now());
      return result;
    },
  };
  const queue = createMemoryTaskQueue();
  const memory = createMemorySagaLog();
  // Loads the store served, and loads the runtime asked for: sealing's own reloads are
  // the difference.
  let loads = 0;
  let asked = 0;
  const counting = (inner: SagaLog, count: () => void): SagaLog => ({
    ...inner,
    load: (runId) => {
      count();
      return inner.load(runId);
    },
  });
  const workflows = staticWorkflows([workflow]);
  const stored = counting(memory, () => loads++);
  const log = counting(
    options.sealed
      ? sealedSagaLog(stored, { keys: parseSealingKeys(generateSealingKey(), "bench"), workflows })
      : stored,
    () => asked++,
  );
  const runtime = createLocalRuntime({
    log,
    queue,
    caller,
    workflows,
    concurrency,
    fastPathSteps: 1_000_000,
  });
  runtime.start();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const { runId } = await runtime.startRun({ workflow, input: options.input ?? {} });
  const state = await runtime.waitForRun(runId, {
    timeoutMs: 600_000,
    pollMs: options.pollMs ?? 5,
  });
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  queue.close();
  await runtime.stop();
  if (state.status !== "succeeded") throw new Error(`bench run ended ${state.status}`);
  return { wallMs, cpuMs: (used.user + used.system) / 1000, times, extraLoads: loads - asked };
}

/** The same number of calls with plain fetch, sequentially or all at once. */
export async function runPlain(url: string, calls: number, parallel: boolean) {
  const once = async (i: number) => {
    const res = await fetch(`${url}/noop`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ i }),
    });
    await res.json();
  };
  const cpu = process.cpuUsage();
  const start = performance.now();
  if (parallel) await Promise.all(Array.from({ length: calls }, (_, i) => once(i)));
  else for (let i = 0; i < calls; i++) await once(i);
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Gaps between one call's end and the next call's start: the orchestrator's own time per step. */
export function gaps(times: CallTimes): number[] {
  const result: number[] = [];
  for (let i = 1; i < times.starts.length; i++) {
    result.push((times.starts[i] ?? 0) - (times.ends[i - 1] ?? 0));
  }
  return result;
}
