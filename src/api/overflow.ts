import type { Context } from "hono";
import { type BacklogProbe, overflowCheck } from "../resilience/index.js";
import { problem } from "./problem.js";

/**
 * Turns run requests away with 429 and a Retry-After while the task backlog is past
 * `bound`, instead of piling more work on a queue that is not draining.
 */
export function refuseOnOverflow(probe: BacklogProbe, bound: number) {
  return async (c: Context): Promise<void> => {
    const verdict = overflowCheck(await probe.depth(), bound);
    if (verdict.ok) return;
    c.header("Retry-After", String(verdict.retryAfterSeconds));
    throw problem(429, "overloaded", `more than ${bound} tasks are waiting; try again later`);
  };
}
