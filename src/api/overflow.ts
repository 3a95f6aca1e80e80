import { type BacklogProbe, overflowCheck } from "../resilience/index.js";
import { ProblemError } from "./problem.js";

/**
 * Turns run requests away with 429 and a Retry-After while the task backlog is past
 * `bound`, instead of piling more work on a queue that is not draining. `onRefused` counts
 * each refusal (metrics).
 */
export function refuseOnOverflow(
  probe: BacklogProbe,
  bound: number,
  onRefused: (reason: "overloaded") => void = () => {},
) {
  return async (): Promise<void> => {
    const verdict = overflowCheck(await probe.depth(), bound);
    if (verdict.ok) return;
    onRefused("overloaded");
    throw new ProblemError(
      {
        status: 429,
        code: "overloaded",
        detail: `more than ${bound} tasks are waiting; try again later`,
      },
      { "Retry-After": String(verdict.retryAfterSeconds) },
    );
  };
}
