/**
 * Overflow: when the task queue's backlog passes a bound, new run requests are turned away
 * with 429 and a Retry-After instead of piling more work on a queue that is not draining.
 * The probe says how deep the queue is; {@link overflowCheck} decides, purely.
 */

/** How many tasks wait in a queue. */
export interface BacklogProbe {
  /** Tasks waiting (visible, delayed or in flight); undefined when it cannot be known now. */
  depth(): Promise<number | undefined>;
}

/** The in-memory queue's backlog, e.g. `memoryBacklogProbe(createMemoryTaskQueue())`. */
export function memoryBacklogProbe(queue: { size(): number }): BacklogProbe {
  return { depth: async () => queue.size() };
}

export type OverflowVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly retryAfterSeconds: number };

export interface OverflowOptions {
  /** Tasks the workers finish per second, if known: Retry-After is then the time to drain the excess. */
  readonly drainPerSecond?: number;
  /** @default 60 */
  readonly maxRetryAfterSeconds?: number;
}

/**
 * Whether a new run may be accepted with `depth` tasks waiting and at most `bound` allowed.
 * An unknown depth or no bound accepts: a probe that cannot answer must not stop all runs.
 * Over the bound, Retry-After is the time to drain the excess when the drain rate is known;
 * otherwise it grows with the excess: 1 s just over the bound, 10 s at twice the bound.
 *
 * @example
 * const verdict = overflowCheck(await probe.depth(), 10_000);
 * if (!verdict.ok) return c.json(problem, 429, { "Retry-After": String(verdict.retryAfterSeconds) });
 */
export function overflowCheck(
  depth: number | undefined,
  bound: number | undefined,
  options: OverflowOptions = {},
): OverflowVerdict {
  if (depth === undefined || bound === undefined || depth <= bound) return { ok: true };
  const excess = depth - bound;
  const seconds =
    options.drainPerSecond !== undefined && options.drainPerSecond > 0
      ? excess / options.drainPerSecond
      : (10 * excess) / Math.max(1, bound);
  const max = options.maxRetryAfterSeconds ?? 60;
  return { ok: false, retryAfterSeconds: Math.min(max, Math.max(1, Math.ceil(seconds))) };
}
