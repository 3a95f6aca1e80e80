import { Metrics } from "@aws-lambda-powertools/metrics";
import { describe, expect, it } from "vitest";
import type { SagaEvent } from "../../src/engine/events.js";
import { countRunEvents } from "../../src/lambda/run-metrics.js";

describe("run metrics (EMF)", () => {
  it("counts the run outcomes the stack's alarm watches", () => {
    const metrics = new Metrics({ namespace: "Maestro", serviceName: "maestro-dev" });
    const at = 0;
    const events: SagaEvent[] = [
      { type: "run_finished", at, status: "compensated" },
      { type: "run_finished", at, status: "failed" },
      { type: "run_finished", at, status: "succeeded" },
      { type: "run_finished", at, status: "cancelled" },
      {
        type: "step_attempt_failed",
        at,
        stepId: "a",
        attempt: 1,
        startedAt: at,
        retryAt: 1,
        error: { code: "unavailable", message: "x", retryable: true },
      },
    ];
    countRunEvents(metrics, events);
    const emf = metrics.serializeMetrics() as unknown as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
    };
    expect(emf._aws.CloudWatchMetrics[0]?.Namespace).toBe("Maestro");
    expect(emf._aws.CloudWatchMetrics[0]?.Dimensions[0]).toContain("service");
    expect(emf.service).toBe("maestro-dev");
    // EMF keeps each value; CloudWatch sums them.
    const total = (name: string) => [emf[name]].flat().reduce((a: number, b) => a + Number(b), 0);
    expect(total("RunsFailed")).toBe(2);
    expect(total("RunsSucceeded")).toBe(1);
    expect(total("StepRetries")).toBe(1);
  });
});
