/**
 * The api function's view of its backlog: /readyz (table and step queue reachable), /metrics
 * (depth, bound, refusals) and, with `MAESTRO_MAX_BACKLOG`, 429 for new runs while more tasks
 * than that wait in the step queue. Refusals are also counted as the EMF metric `RunsRefused`.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { createSqsBacklogProbe } from "../adapters/sqs/backlog-probe.js";
import type { ApiDeps } from "../api/app.js";
import { refuseOnOverflow } from "../api/overflow.js";
import { backlogExposition, PROMETHEUS_TEXT } from "../observability/backlog-metrics.js";
import { healthRoutes, storeCheck } from "../server/health.js";
import { type AwsDeps, runMetrics } from "./aws-deps.js";

export function apiBacklog(deps: AwsDeps): Pick<ApiDeps, "beforeStart" | "extend"> {
  const probe = createSqsBacklogProbe({
    client: deps.sqs,
    queueUrl: deps.config.stepQueueUrl,
    logger: deps.logger,
  });
  const bound = deps.config.maxBacklog;
  // Per instance: Prometheus scrapes one instance at a time; CloudWatch sums the EMF metric.
  const refused = new Map<string, number>();
  const onRefused = (reason: string) => {
    refused.set(reason, (refused.get(reason) ?? 0) + 1);
    runMetrics.addMetric("RunsRefused", MetricUnit.Count, 1);
  };
  return {
    ...(bound !== undefined && { beforeStart: refuseOnOverflow(probe, bound, onRefused) }),
    extend: (app) =>
      healthRoutes(app, {
        checks: [storeCheck(deps.log)],
        backlog: { depth: () => probe.depth(), ...(bound !== undefined && { bound }) },
        metrics: async (depth) => ({
          body: backlogExposition({ depth, bound, refused }),
          contentType: PROMETHEUS_TEXT,
        }),
      }),
  };
}
