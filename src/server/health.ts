/** /readyz and /metrics for the local server. */
import type { Hono } from "hono";
import type { Metrics } from "../observability/metrics.js";
import type { SagaLog } from "../ports/saga-log.js";

export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

export function storeCheck(log: SagaLog): ReadinessCheck {
  return { name: "store", check: async () => void (await log.list({ limit: 1 })) };
}

export function healthRoutes(
  app: Hono,
  checks: readonly ReadinessCheck[],
  metrics: Metrics,
  depth?: () => Promise<number | undefined>,
) {
  app.get("/readyz", async (c) => {
    const results = await Promise.all(
      checks.map(async (k) => {
        try {
          await Promise.race([
            k.check(),
            new Promise((_, reject) =>
              setTimeout(() => reject(new Error("timed out after 2s")), 2_000).unref(),
            ),
          ]);
          return { name: k.name, ok: true };
        } catch (error) {
          return { name: k.name, ok: false, error: (error as Error).message };
        }
      }),
    );
    const ok = results.every((r) => r.ok);
    return c.json({ ok, checks: results }, ok ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    const current = await depth?.();
    if (current !== undefined) metrics.queueDepth.set(current);
    return c.body(await metrics.registry.metrics(), 200, {
      "content-type": metrics.registry.contentType,
    });
  });
}
