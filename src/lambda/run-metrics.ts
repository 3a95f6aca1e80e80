/**
 * Run metrics on Lambda as CloudWatch EMF through Powertools Metrics: RunsStarted,
 * RunsSucceeded and RunsFailed (a run that ended failed, compensated or
 * compensation_failed — what the stack's run-failures alarm watches), StepsSucceeded,
 * StepRetries and Compensations. Fed by what the saga log durably stored.
 */
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { SagaEvent } from "../engine/events.js";
import type { SagaLog } from "../ports/saga-log.js";

const FAILED = new Set(["failed", "compensated", "compensation_failed"]);

export function countRunEvents(metrics: Metrics, events: readonly SagaEvent[]): void {
  for (const e of events) {
    if (e.type === "run_started") metrics.addMetric("RunsStarted", MetricUnit.Count, 1);
    else if (e.type === "run_finished") {
      if (e.status === "succeeded") metrics.addMetric("RunsSucceeded", MetricUnit.Count, 1);
      else if (FAILED.has(e.status)) metrics.addMetric("RunsFailed", MetricUnit.Count, 1);
    } else if (e.type === "step_succeeded")
      metrics.addMetric("StepsSucceeded", MetricUnit.Count, 1);
    else if (e.type === "step_attempt_failed")
      metrics.addMetric("StepRetries", MetricUnit.Count, 1);
    else if (e.type === "compensation_succeeded")
      metrics.addMetric("Compensations", MetricUnit.Count, 1);
  }
}

/** A saga log that counts what it stored; call `metrics.publishStoredMetrics()` per invocation. */
export function meteredLog(inner: SagaLog, metrics: Metrics): SagaLog {
  return {
    async create(header, events, options) {
      const result = await inner.create(header, events, options);
      if (result.created) countRunEvents(metrics, events);
      return result;
    },
    async append(runId, expectedSeq, events, options) {
      await inner.append(runId, expectedSeq, events, options);
      countRunEvents(metrics, events);
    },
    load: (runId) => inner.load(runId),
    list: (query) => inner.list(query),
    ...(inner.events && { events: inner.events.bind(inner) }),
  };
}

export function createRunMetrics(): Metrics {
  // Namespace and service come from POWERTOOLS_METRICS_NAMESPACE / POWERTOOLS_SERVICE_NAME.
  return new Metrics({ defaultDimensions: {} });
}
