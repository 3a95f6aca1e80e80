/**
 * Prometheus metrics for /metrics, fed by watching what is appended to the saga log: every
 * run and step outcome passes through it, so no engine code needs to know about metrics.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { SagaEvent } from "../engine/events.js";
import type { SagaLog } from "../ports/saga-log.js";
import type { Counters } from "../resilience/index.js";
import type { WorkflowSource } from "../runtime/workflow-source.js";

export interface Metrics {
  readonly registry: Registry;
  /** For the call guard: counters by name and labels, created on first use. */
  readonly counters: Counters;
  observe(
    workflow: string,
    events: readonly SagaEvent[],
    services: (stepId: string) => string | undefined,
  ): void;
  /** Set by whoever knows the queue (memory size, SQS attributes). */
  readonly queueDepth: Gauge;
  /** The backlog bound over which runs are refused, when there is one. */
  readonly backlogBound: Gauge;
  /** Run requests refused, by reason (`overloaded`). */
  readonly runsRefused: Counter;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const runsStarted = new Counter({
    name: "maestro_runs_started_total",
    help: "Runs started",
    labelNames: ["workflow"],
    registers: [registry],
  });
  const runsFinished = new Counter({
    name: "maestro_runs_finished_total",
    help: "Runs that reached a final status",
    labelNames: ["workflow", "status"],
    registers: [registry],
  });
  const steps = new Histogram({
    name: "maestro_step_duration_seconds",
    help: "Time from a step's first attempt to its outcome",
    labelNames: ["workflow", "service", "outcome"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const retries = new Counter({
    name: "maestro_step_retries_total",
    help: "Failed attempts that will be retried",
    labelNames: ["workflow", "service"],
    registers: [registry],
  });
  const deferrals = new Counter({
    name: "maestro_step_deferrals_total",
    help: "Calls held back by a breaker, rate limit or concurrency cap",
    labelNames: ["workflow", "reason"],
    registers: [registry],
  });
  const compensations = new Counter({
    name: "maestro_compensations_total",
    help: "Compensations that finished, by outcome",
    labelNames: ["workflow", "outcome"],
    registers: [registry],
  });
  const queueDepth = new Gauge({
    name: "maestro_queue_depth",
    help: "Tasks waiting in the queue, where known",
    registers: [registry],
  });
  const backlogBound = new Gauge({
    name: "maestro_backlog_bound",
    help: "Tasks that may wait before new runs are refused",
    registers: [registry],
  });
  const runsRefused = new Counter({
    name: "maestro_runs_refused_total",
    help: "Run requests refused with 429",
    labelNames: ["reason"],
    registers: [registry],
  });
  const named = new Map<string, Counter>();
  const counters: Counters = {
    increment(name, labels = {}) {
      let counter = named.get(name);
      if (!counter) {
        counter = new Counter({
          name,
          help: `${name} (call guard)`,
          labelNames: Object.keys(labels),
          registers: [registry],
        });
        named.set(name, counter);
      }
      counter.inc(labels);
    },
  };
  return {
    registry,
    counters,
    queueDepth,
    backlogBound,
    runsRefused,
    observe(workflow, events, serviceOf) {
      for (const e of events) {
        const stepId = "stepId" in e ? e.stepId : undefined;
        const service = stepId === undefined ? "none" : (serviceOf(stepId) ?? "none");
        switch (e.type) {
          case "run_started":
            runsStarted.inc({ workflow });
            break;
          case "run_finished":
            runsFinished.inc({ workflow, status: e.status });
            break;
          case "step_succeeded":
          case "step_failed":
            if (e.startedAt !== undefined) {
              const outcome = e.type === "step_succeeded" ? "succeeded" : "failed";
              steps.observe({ workflow, service, outcome }, Math.max(0, e.at - e.startedAt) / 1000);
            }
            break;
          case "step_attempt_failed":
            retries.inc({ workflow, service });
            break;
          case "step_deferred":
            deferrals.inc({ workflow, reason: e.reason });
            break;
          case "compensation_succeeded":
          case "compensation_failed":
            compensations.inc({
              workflow,
              outcome: e.type === "compensation_succeeded" ? "succeeded" : "failed",
            });
            break;
          default:
            break;
        }
      }
    },
  };
}

/** A saga log that reports what it durably stored to the metrics. */
export function observedLog(inner: SagaLog, metrics: Metrics, workflows: WorkflowSource): SagaLog {
  // Per run: its workflow's name and step → service map, looked up once.
  const runs = new Map<string, { workflow: string; services: Map<string, string> }>();
  async function describe(runId: string, header?: { workflow: string; version: string }) {
    const known = runs.get(runId);
    if (known) return known;
    const h = header ?? (await inner.load(runId))?.header;
    const definition = h && (await workflows.get(h.workflow, h.version));
    const entry = {
      workflow: h?.workflow ?? "unknown",
      services: new Map(
        definition?.steps.flatMap((s) => (s.call ? [[s.id, s.call.service] as const] : [])) ?? [],
      ),
    };
    runs.set(runId, entry);
    return entry;
  }
  return {
    async create(header, events, options) {
      const result = await inner.create(header, events, options);
      if (result.created) {
        const run = await describe(header.runId, header);
        metrics.observe(run.workflow, events, (s) => run.services.get(s));
      }
      return result;
    },
    async append(runId, expectedSeq, events, options) {
      await inner.append(runId, expectedSeq, events, options);
      const run = await describe(runId);
      metrics.observe(run.workflow, events, (s) => run.services.get(s));
      if (events.some((e) => e.type === "run_finished")) runs.delete(runId);
    },
    load: (runId) => inner.load(runId),
    list: (query) => inner.list(query),
    ...(inner.events && { events: inner.events.bind(inner) }),
  };
}
