import { sweep } from "../runtime/sweeper.js";
import { type AwsDeps, runMetrics } from "./aws-deps.js";

/** Scheduled: re-drives runs that stalled (a lost task, a worker that died mid-step). */
export function createSweeperHandler(deps: () => Promise<AwsDeps>) {
  return async () => {
    const d = await deps();
    const longestCall = Math.max(
      0,
      ...(await d.workflows.list()).flatMap((w) =>
        [...w.services.values()].map((s) => s.timeoutMs),
      ),
    );
    // Longer than any call plus the queue's own latency, so busy runs are left alone.
    const report = await sweep(d, { stallMs: 2 * longestCall + 60_000 });
    d.logger.info("sweep finished", { ...report });
    runMetrics.publishStoredMetrics();
    return report;
  };
}
