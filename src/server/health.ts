/**
 * /readyz and /metrics, for the local server and the `api` Lambda alike. Each runtime says
 * what to check and how to expose its metrics; the routes are the same.
 */
import type { Hono } from "hono";
import type { SagaLog } from "../ports/saga-log.js";

export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

export function storeCheck(log: SagaLog): ReadinessCheck {
  return { name: "store", check: async () => void (await log.list({ limit: 1 })) };
}

/** The task backlog as /readyz and /metrics show it. */
export interface BacklogView {
  /** Tasks waiting; undefined when the queue cannot be asked (then it is not ready). */
  depth(): Promise<number | undefined>;
  /** Runs are refused with 429 over this many waiting tasks. @default no bound */
  readonly bound?: number;
}

export interface HealthOptions {
  readonly checks: readonly ReadinessCheck[];
  readonly backlog?: BacklogView;
  /** The Prometheus text for /metrics, given the backlog's depth just read. */
  metrics(depth: number | undefined): Promise<{ body: string; contentType: string }>;
}

const CHECK_TIMEOUT_MS = 2_000;

export function healthRoutes(app: Hono, options: HealthOptions) {
  app.get("/readyz", async (c) => {
    const results: object[] = await Promise.all(options.checks.map(runCheck));
    let ok = results.every((r) => (r as { ok: boolean }).ok);
    if (options.backlog) {
      const entry = queueEntry(await options.backlog.depth(), options.backlog.bound);
      ok &&= entry.ok;
      results.push(entry);
    }
    return c.json({ ok, checks: results }, ok ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    const { body, contentType } = await options.metrics(await options.backlog?.depth());
    return c.body(body, 200, { "content-type": contentType });
  });
}

async function runCheck(k: ReadinessCheck) {
  try {
    await Promise.race([
      k.check(),
      new Promise((_, reject) =>
        setTimeout(
          () => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS / 1000}s`)),
          CHECK_TIMEOUT_MS,
        ).unref(),
      ),
    ]);
    return { name: k.name, ok: true };
  } catch (error) {
    return { name: k.name, ok: false, error: (error as Error).message };
  }
}

/**
 * A backlog past its bound leaves the instance ready: it still serves reads, cancels and
 * signals, and taking it out of a load balancer would only move the same load elsewhere.
 * `overflowing` says that new runs are being refused.
 */
function queueEntry(depth: number | undefined, bound: number | undefined) {
  if (depth === undefined) return { name: "queue", ok: false, error: "queue depth unknown" };
  return {
    name: "queue",
    ok: true,
    depth,
    ...(bound !== undefined && { bound, overflowing: depth > bound }),
  };
}
